"""The rate and KPI engine against figures worked out by hand from SPEC §4.

Every expected figure below is a literal number; the arithmetic that gives it sits in a comment next
to it, so that a reader can re-check each one with pencil and paper. Nothing here is derived from the
engine's code. The API answers must equal these numbers to 4 decimals.

The organization (slug ``golf``, timezone Europe/Paris, w = 0.5, 4 expected animations a month,
minimum sample 5):

    R-N  region Nord
      B-N  business unit Nord
        T-A  team A   members A1, A2, A3, A4
        T-B  team B   members B1, B2, B3
    R-S  region Sud
      T-C  team C (directly under the region)   members C1, C2

Members and the months (2026) they are active in, [active_from, active_to] overlapping the month:

    A1  2025-06-01 → —            Jan Feb Mar Apr
    A2  2025-06-01 → 2026-02-15   Jan Feb           (leaves mid-February: still counts in February)
    A3  2026-03-10 → —                    Mar Apr   (joins mid-March: counts in March)
    A4  2025-01-01 → —            Jan Feb Mar Apr   (never observed)
    B1  2025-01-01 → —            Jan Feb Mar Apr
    B2  2026-02-20 → —                Feb Mar Apr
    B3  2025-01-01 → 2026-01-31   Jan               (leaves on the last day of January)
    C1  2025-01-01 → 2026-02-28   Jan Feb
    C2  2025-09-01 → 2026-02-10   Jan Feb
                                                    → team C has no active member in March and April.

    active members   Jan Feb Mar Apr
      T-A              3   3   3   3
      T-B              2   2   2   2
      T-C              2   2   0   0
      B-N = R-N        5   5   5   5
      R-S              2   2   0   0
      organization     7   7   5   5

Experience model (one version): dimension ``accueil`` with behaviors ``salue`` (S) and ``sourit``
(O, never rated by anyone: level 1 for every pair), dimension ``conseil`` with ``reformule`` (R).
So every active member contributes 3 (member, behavior) pairs.

Paris is UTC+1 until 29 March 2026 03:00, UTC+2 after. Observations (UTC → Paris, month):

    o1  A1  2026-01-10 09:00Z                                     Jan   S=2 R=1
    o2  A2  2026-01-20 10:00Z (coaching)                          Jan   S=3
    o3  B1  2026-01-15 09:00Z                                     Jan   S=4 R=2
    o4  C2  2026-01-31 22:30Z = 31 Jan 23:30 Paris                Jan   S=2
    o5  C1  2026-01-31 23:30Z = 1 Feb 00:30 Paris                 Feb   S=3
    o6  A1  2026-02-05 09:00Z                                     Feb   S=3
    o6b A1  2026-02-20 09:00Z  (A1 observed twice in February)    Feb   R=1 (level unchanged)
    o7  B2  2026-02-25 10:00Z (coaching)                          Feb   R=3
    o8  B1  2026-02-10 12:00Z  created first                      Feb   R=4
    o9  B1  2026-02-10 12:00Z  created second: the tie, it wins   Feb   R=1
    o10 A1  2026-03-31 21:30Z = 31 Mar 23:30 Paris (UTC+2)        Mar   R=3
    o11 A1  2026-03-31 23:30Z = 1 Apr 01:30 Paris                 Apr   S=4
    o12 A3  2026-03-15 10:00Z                                     Mar   S=2
    o13 B2  2026-04-10 08:00Z                                     Apr   S=4 R=4

Animations per team and Paris month (cadence = min(1, n / 4)):

    T-A  Jan 2 (0.5)   Feb 5 (1.0, capped)   Mar 1 (0.25: 31 Mar 21:00Z = 23:00 Paris)
         Apr 2 (0.5: 31 Mar 22:30Z = 1 Apr 00:30 Paris, and 14 Apr)
    T-B  Jan 0 (0.0)   Feb 4 (1.0)   Mar 3 (0.75)   Apr 0 (0.0)
    T-C  Jan 1 (0.25)  Feb 1 (0.25: 31 Jan 23:30Z = 1 Feb 00:30 Paris)   Mar 2 (no member)   Apr 0

Survey responses (nps, csat, ces; journey; trigger), see ``RESPONSES`` below.
"""

import datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command

from cxtracker.months import Month
from cxtracker.tenancy.models import UnitKind
from cxtracker.tenancy.services import member_create, unit_update
from deployment.services import animation_create, observation_create
from experience.services import experience_model_create_from_json
from tests.api.conftest import Api, make_api_key
from tests.factories import make_org, make_unit

MONTHS = Month.range(Month(2026, 1), Month(2026, 4))

MODEL = {
    "name": "Golf 2026",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "behaviors": [{"code": "salue", "name": "Salue"}, {"code": "sourit", "name": "Sourit"}],
        },
        {"code": "conseil", "name": "Conseil", "behaviors": [{"code": "reformule", "name": "Reformule"}]},
    ],
}

MEMBERS = [
    # code, team, active_from, active_to
    ("G-A1", "T-A", "2025-06-01", None),
    ("G-A2", "T-A", "2025-06-01", "2026-02-15"),
    ("G-A3", "T-A", "2026-03-10", None),
    ("G-A4", "T-A", "2025-01-01", None),
    ("G-B1", "T-B", "2025-01-01", None),
    ("G-B2", "T-B", "2026-02-20", None),
    ("G-B3", "T-B", "2025-01-01", "2026-01-31"),
    ("G-C1", "T-C", "2025-01-01", "2026-02-28"),
    ("G-C2", "T-C", "2025-09-01", "2026-02-10"),
]

# Created in this order: o8 before o9 matters (same member, behavior and observed_at).
OBSERVATIONS = [
    # name, member, observed_at (UTC), kind, ratings
    ("o1", "G-A1", "2026-01-10T09:00:00+00:00", "observation", {"salue": 2, "reformule": 1}),
    ("o2", "G-A2", "2026-01-20T10:00:00+00:00", "coaching", {"salue": 3}),
    ("o3", "G-B1", "2026-01-15T09:00:00+00:00", "observation", {"salue": 4, "reformule": 2}),
    ("o4", "G-C2", "2026-01-31T22:30:00+00:00", "observation", {"salue": 2}),
    ("o5", "G-C1", "2026-01-31T23:30:00+00:00", "observation", {"salue": 3}),
    ("o6", "G-A1", "2026-02-05T09:00:00+00:00", "observation", {"salue": 3}),
    # A second observation of A1 in February: coverage counts members, not observations.
    ("o6b", "G-A1", "2026-02-20T09:00:00+00:00", "observation", {"reformule": 1}),
    ("o7", "G-B2", "2026-02-25T10:00:00+00:00", "coaching", {"reformule": 3}),
    ("o8", "G-B1", "2026-02-10T12:00:00+00:00", "observation", {"reformule": 4}),
    ("o9", "G-B1", "2026-02-10T12:00:00+00:00", "observation", {"reformule": 1}),
    ("o10", "G-A1", "2026-03-31T21:30:00+00:00", "observation", {"reformule": 3}),
    ("o11", "G-A1", "2026-03-31T23:30:00+00:00", "observation", {"salue": 4}),
    ("o12", "G-A3", "2026-03-15T10:00:00+00:00", "observation", {"salue": 2}),
    ("o13", "G-B2", "2026-04-10T08:00:00+00:00", "observation", {"salue": 4, "reformule": 4}),
]

ANIMATIONS = [
    # team, held_at (UTC), attendees
    ("T-A", "2026-01-05T08:00:00+00:00", ["G-A1", "G-A2"]),
    ("T-A", "2026-01-19T08:00:00+00:00", []),
    ("T-A", "2026-02-02T08:00:00+00:00", ["G-A4"]),
    ("T-A", "2026-02-09T08:00:00+00:00", []),
    ("T-A", "2026-02-16T08:00:00+00:00", []),
    ("T-A", "2026-02-23T08:00:00+00:00", []),
    ("T-A", "2026-02-27T08:00:00+00:00", []),
    ("T-A", "2026-03-31T21:00:00+00:00", []),  # 23:00 in Paris: March
    ("T-A", "2026-03-31T22:30:00+00:00", []),  # 00:30 on 1 April in Paris: April
    ("T-A", "2026-04-14T08:00:00+00:00", ["G-A3"]),
    ("T-B", "2026-02-03T08:00:00+00:00", ["G-B1"]),
    ("T-B", "2026-02-10T08:00:00+00:00", []),
    ("T-B", "2026-02-17T08:00:00+00:00", []),
    ("T-B", "2026-02-24T08:00:00+00:00", ["G-B1", "G-B2"]),
    ("T-B", "2026-03-03T08:00:00+00:00", []),
    ("T-B", "2026-03-10T08:00:00+00:00", []),
    ("T-B", "2026-03-17T08:00:00+00:00", []),
    ("T-C", "2026-01-13T08:00:00+00:00", ["G-C1"]),
    ("T-C", "2026-01-31T23:30:00+00:00", []),  # 00:30 on 1 February in Paris: February
    ("T-C", "2026-03-05T08:00:00+00:00", []),  # a team with no active member still holds one
    ("T-C", "2026-03-06T08:00:00+00:00", []),
]

# NPS: promoter 9–10 (P), passive 7–8, detractor 0–6 (D). CSAT top-2 box: csat ≥ 4. CES easy: ces ≥ 5.
RESPONSES = [
    # external_id, unit, responded_at (UTC), nps, csat, ces, journey, trigger, channel
    # Team A, March (Paris): r1–r8
    ("g-r1", "T-A", "2026-03-05T10:00:00+00:00", 10, 5, 7, "purchase", "event", "store"),
    ("g-r2", "T-A", "2026-03-12T10:00:00+00:00", 9, 4, 6, "purchase", "event", "store"),
    ("g-r3", "T-A", "2026-02-28T23:30:00+00:00", 8, 3, 5, "purchase", "periodic", "web"),  # 1 Mar 00:30 Paris
    ("g-r4", "T-A", "2026-03-20T10:00:00+00:00", 6, 2, 3, "after-sales", "event", "phone"),
    ("g-r5", "T-A", "2026-03-25T10:00:00+00:00", 3, 5, 2, "after-sales", "periodic", "phone"),
    ("g-r6", "T-A", "2026-03-26T10:00:00+00:00", 9, None, None, "purchase", "event", "store"),
    ("g-r7", "T-A", "2026-03-27T10:00:00+00:00", None, 4, None, "after-sales", "event", "phone"),
    ("g-r8", "T-A", "2026-03-28T10:00:00+00:00", None, None, 4, "purchase", "periodic", "web"),
    # Team A, April: the single response r9 (31 Mar 22:30Z = 1 Apr 00:30 Paris)
    ("g-r9", "T-A", "2026-03-31T22:30:00+00:00", 0, 1, 1, "purchase", "event", "store"),
    # Team B: one response in January (r11), February (r12: 31 Jan 23:30Z = 1 Feb Paris), March (r10)
    ("g-r10", "T-B", "2026-03-10T10:00:00+00:00", 7, 4, 5, "purchase", "event", "store"),
    ("g-r11", "T-B", "2026-01-20T10:00:00+00:00", 9, 5, 6, "purchase", "event", "store"),
    ("g-r12", "T-B", "2026-01-31T23:30:00+00:00", 2, 1, 2, "purchase", "periodic", "web"),
    # Team C: three in January, one in March (when it has no active member: KPIs do not depend on members)
    ("g-r13", "T-C", "2026-01-15T10:00:00+00:00", 10, 5, None, "after-sales", "event", "phone"),
    ("g-r14", "T-C", "2026-01-16T10:00:00+00:00", 10, None, None, "after-sales", "periodic", "web"),
    ("g-r15", "T-C", "2026-01-17T10:00:00+00:00", 5, None, 3, "purchase", "event", "store"),
    ("g-r16", "T-C", "2026-03-15T10:00:00+00:00", 9, 4, 6, "after-sales", "event", "store"),
]


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


# ---------------------------------------------------------------------------------------------
# Expected rates.
# coverage = covered / active; cadence = min(1, animations / 4); deployment = 0.5·coverage + 0.5·cadence.
# Roll-ups: Σ(active × value) / Σ active over teams with active members.
# transformation_rate = Σ(level − 1) / (3 × pairs); pairs = 3 × active; shares = count / pairs.
# ---------------------------------------------------------------------------------------------

RATE_FIELDS = (
    "active_members",
    "coverage",
    "cadence",
    "deployment_rate",
    "transformation_rate",
    "assessed_share",
    "known_share",
    "mastered_share",
)


def _rate(active, coverage, cadence, deployment, transformation, assessed, known, mastered) -> dict:
    return dict(
        zip(
            RATE_FIELDS, (active, coverage, cadence, deployment, transformation, assessed, known, mastered), strict=True
        )
    )


# Levels at the end of each month, per active member (S, O, R; "-" = never rated so far = level 1):
#   Jan: A1 S2 O- R1 | A2 S3 O- R- | A4 - - -  ||  B1 S4 O- R2 | B3 - - -  ||  C1 - - - (o5 is Feb) | C2 S2 - -
#   Feb: A1 S3 O- R1 | A2 S3 - -   | A4 - - -  ||  B1 S4 O- R1 (tie: o9) | B2 - - R3  ||  C1 S3 - - | C2 S2 - -
#   Mar: A1 S3 O- R3 (o10) | A3 S2 - - | A4 - - -  ||  B1 S4 - R1 | B2 - - R3  ||  no member
#   Apr: A1 S4 (o11) O- R3 | A3 S2 - - | A4 - - -  ||  B1 S4 - R1 | B2 S4 - R4 (o13)  ||  no member
TEAM_RATES = {
    # --- January ---
    # T-A: active A1, A2, A4 = 3. Observed in Jan: A1 (o1), A2 (o2) → coverage 2/3 = 0.6667.
    #      2 animations → cadence 2/4 = 0.5. deployment = 0.5·0.6667 + 0.5·0.5 = 0.3333 + 0.25 = 0.5833.
    #      9 pairs; points A1 (2−1)+(1−1) = 1, A2 (3−1) = 2 → 3; TR = 3/(3·9) = 3/27 = 0.1111.
    #      assessed A1 S, A1 R, A2 S = 3/9 = 0.3333; known (≥2) A1 S, A2 S = 2/9 = 0.2222; mastered 0.
    ("T-A", "2026-01"): _rate(3, 0.6667, 0.5, 0.5833, 0.1111, 0.3333, 0.2222, 0.0),
    # T-B: active B1, B3 = 2. Observed B1 (o3) → 1/2 = 0.5. 0 animations → 0.0. deployment 0.25.
    #      6 pairs; points B1 S (4−1) + R (2−1) = 4; TR = 4/18 = 0.2222.
    #      assessed 2/6 = 0.3333; known B1 S, B1 R = 2/6 = 0.3333; mastered B1 S = 1/6 = 0.1667.
    ("T-B", "2026-01"): _rate(2, 0.5, 0.0, 0.25, 0.2222, 0.3333, 0.3333, 0.1667),
    # T-C: active C1, C2 = 2. Observed in Jan (Paris): C2 (o4, 23:30 on 31 Jan); C1's o5 is February
    #      → 1/2 = 0.5. 1 animation (13 Jan; the 31 Jan 23:30Z one is February) → 0.25.
    #      deployment = 0.25 + 0.125 = 0.375. 6 pairs; points C2 S (2−1) = 1; TR = 1/18 = 0.0556.
    #      assessed 1/6 = 0.1667; known 1/6 = 0.1667; mastered 0.
    ("T-C", "2026-01"): _rate(2, 0.5, 0.25, 0.375, 0.0556, 0.1667, 0.1667, 0.0),
    # --- February ---
    # T-A: active A1, A2 (until 15 Feb), A4 = 3. Observed A1 (o6 and o6b: one member) → 1/3 = 0.3333.
    #      5 animations → min(1, 5/4) = 1.0. deployment = 0.1667 + 0.5 = 0.6667.
    #      points A1 S (3−1) = 2, R (1−1) = 0 (o6b), A2 S (3−1) = 2 → 4; TR = 4/27 = 0.1481.
    #      assessed A1 S, A1 R, A2 S = 3/9 = 0.3333; known A1 S, A2 S = 2/9 = 0.2222; mastered 0.
    ("T-A", "2026-02"): _rate(3, 0.3333, 1.0, 0.6667, 0.1481, 0.3333, 0.2222, 0.0),
    # T-B: active B1, B2 (from 20 Feb) = 2. Observed B1 (o8, o9), B2 (o7) → 2/2 = 1.0. 4 animations →
    #      1.0. deployment 1.0. Tie o8 (R=4) / o9 (R=1), same observed_at: o9 created last wins → B1 R=1.
    #      points B1 S 3 + B1 R 0 + B2 R (3−1) 2 = 5; TR = 5/18 = 0.2778.
    #      assessed B1 S, B1 R, B2 R = 3/6 = 0.5; known B1 S, B2 R = 2/6 = 0.3333; mastered B1 S = 0.1667.
    #      (Were the first-created o8 to win: TR 8/18 = 0.4444, known 0.5, mastered 0.3333.)
    ("T-B", "2026-02"): _rate(2, 1.0, 1.0, 1.0, 0.2778, 0.5, 0.3333, 0.1667),
    # T-C: active C1 (until 28 Feb), C2 (until 10 Feb) = 2. Observed C1 (o5, 1 Feb 00:30 Paris) → 0.5.
    #      1 animation (1 Feb 00:30 Paris) → 0.25. deployment 0.375.
    #      points C1 S (3−1) 2 + C2 S (2−1) 1 = 3; TR = 3/18 = 0.1667.
    #      assessed 2/6 = 0.3333; known 2/6 = 0.3333; mastered 0.
    ("T-C", "2026-02"): _rate(2, 0.5, 0.25, 0.375, 0.1667, 0.3333, 0.3333, 0.0),
    # --- March ---
    # T-A: active A1, A3 (from 10 Mar), A4 = 3. Observed A1 (o10, 23:30 on 31 Mar Paris), A3 (o12) →
    #      2/3 = 0.6667. 1 animation (23:00 on 31 Mar Paris) → 0.25. deployment 0.3333 + 0.125 = 0.4583.
    #      points A1 S (3−1) 2 + A1 R (3−1) 2 (o10) + A3 S (2−1) 1 = 5; o11 (S=4) is April.
    #      TR = 5/27 = 0.1852. assessed A1 S, A1 R, A3 S = 3/9 = 0.3333; known the same 3 = 0.3333;
    #      mastered 0.
    ("T-A", "2026-03"): _rate(3, 0.6667, 0.25, 0.4583, 0.1852, 0.3333, 0.3333, 0.0),
    # T-B: active B1, B2 = 2. No observation in March → 0/2 = 0.0. 3 animations → 0.75.
    #      deployment 0 + 0.375 = 0.375. Levels as at the end of February: TR 5/18 = 0.2778,
    #      assessed 0.5, known 0.3333, mastered 0.1667.
    ("T-B", "2026-03"): _rate(2, 0.0, 0.75, 0.375, 0.2778, 0.5, 0.3333, 0.1667),
    # T-C: no active member. Coverage 0/0 and every pair figure have no data → null.
    #      Cadence is min(1, 2/4) = 0.5 by the SPEC's formula (it does not involve members);
    #      deployment needs the coverage → null.
    ("T-C", "2026-03"): _rate(0, None, 0.5, None, None, None, None, None),
    # --- April ---
    # T-A: active A1, A3, A4 = 3. Observed A1 (o11, 01:30 on 1 Apr Paris) → 1/3 = 0.3333.
    #      2 animations (00:30 on 1 Apr Paris, 14 Apr) → 0.5. deployment 0.1667 + 0.25 = 0.4167.
    #      points A1 S (4−1) 3 + A1 R (3−1) 2 + A3 S (2−1) 1 = 6; TR = 6/27 = 0.2222.
    #      assessed 3/9 = 0.3333; known 3/9 = 0.3333; mastered A1 S = 1/9 = 0.1111.
    ("T-A", "2026-04"): _rate(3, 0.3333, 0.5, 0.4167, 0.2222, 0.3333, 0.3333, 0.1111),
    # T-B: active B1, B2 = 2. Observed B2 (o13) → 0.5. 0 animations → 0.0. deployment 0.25.
    #      points B1 S 3 + B1 R 0 + B2 S (4−1) 3 + B2 R (4−1) 3 = 9; TR = 9/18 = 0.5.
    #      assessed 4/6 = 0.6667; known B1 S, B2 S, B2 R = 3/6 = 0.5; mastered the same 3 = 0.5.
    ("T-B", "2026-04"): _rate(2, 0.5, 0.0, 0.25, 0.5, 0.6667, 0.5, 0.5),
    # T-C: no active member, no animation: cadence min(1, 0/4) = 0.0, the rest null.
    ("T-C", "2026-04"): _rate(0, None, 0.0, None, None, None, None, None),
}

# B-N (= R-N, whose only child is B-N): teams A (3 active) and B (2 active).
NORTH_RATES = {
    # Jan: coverage (3·0.6667 + 2·0.5)/5 = (2 + 1)/5 = 0.6; cadence (3·0.5 + 2·0)/5 = 1.5/5 = 0.3;
    #      deployment (3·0.5833 + 2·0.25)/5 = (1.75 + 0.5)/5 = 0.45 (= 0.5·0.6 + 0.5·0.3).
    #      pairs 9 + 6 = 15; points 3 + 4 = 7 → TR 7/45 = 0.1556; assessed (3+2)/15 = 0.3333;
    #      known (2+2)/15 = 0.2667; mastered (0+1)/15 = 0.0667.
    "2026-01": _rate(5, 0.6, 0.3, 0.45, 0.1556, 0.3333, 0.2667, 0.0667),
    # Feb: coverage (1 + 2)/5 = 0.6; cadence (3·1 + 2·1)/5 = 1.0; deployment (3·0.6667 + 2·1)/5 = 4/5 = 0.8.
    #      points 4 + 5 = 9 → 9/45 = 0.2; assessed (3+3)/15 = 0.4; known (2+2)/15 = 0.2667; mastered 1/15.
    "2026-02": _rate(5, 0.6, 1.0, 0.8, 0.2, 0.4, 0.2667, 0.0667),
    # Mar: coverage (2 + 0)/5 = 0.4; cadence (3·0.25 + 2·0.75)/5 = 2.25/5 = 0.45;
    #      deployment (3·0.4583 + 2·0.375)/5 = (1.375 + 0.75)/5 = 0.425.
    #      points 5 + 5 = 10 → 10/45 = 0.2222; assessed (3+3)/15 = 0.4; known (3+2)/15 = 0.3333;
    #      mastered 1/15 = 0.0667.
    "2026-03": _rate(5, 0.4, 0.45, 0.425, 0.2222, 0.4, 0.3333, 0.0667),
    # Apr: coverage (1 + 1)/5 = 0.4; cadence (3·0.5 + 0)/5 = 0.3; deployment (3·0.4167 + 2·0.25)/5 =
    #      (1.25 + 0.5)/5 = 0.35. points 6 + 9 = 15 → 15/45 = 0.3333; assessed (3+4)/15 = 0.4667;
    #      known (3+3)/15 = 0.4; mastered (1+3)/15 = 0.2667.
    "2026-04": _rate(5, 0.4, 0.3, 0.35, 0.3333, 0.4667, 0.4, 0.2667),
}

# R-S: team C only. March and April: no active member anywhere in the region → every figure null
# (C's lone cadence is left out with its zero members), active_members 0.
SOUTH_RATES = {
    "2026-01": TEAM_RATES[("T-C", "2026-01")],
    "2026-02": TEAM_RATES[("T-C", "2026-02")],
    "2026-03": _rate(0, None, None, None, None, None, None, None),
    "2026-04": _rate(0, None, None, None, None, None, None, None),
}

ORG_RATES = {
    # Jan: 7 active. coverage (2 + 1 + 1)/7 = 4/7 = 0.5714; cadence (3·0.5 + 2·0 + 2·0.25)/7 = 2/7 = 0.2857;
    #      deployment (3·0.5833 + 2·0.25 + 2·0.375)/7 = (1.75 + 0.5 + 0.75)/7 = 3/7 = 0.4286.
    #      pairs 21; points 3 + 4 + 1 = 8 → 8/63 = 0.1270; assessed (3+2+1)/21 = 6/21 = 0.2857;
    #      known (2+2+1)/21 = 5/21 = 0.2381; mastered 1/21 = 0.0476.
    "2026-01": _rate(7, 0.5714, 0.2857, 0.4286, 0.127, 0.2857, 0.2381, 0.0476),
    # Feb: 7 active. coverage (1 + 2 + 1)/7 = 0.5714; cadence (3·1 + 2·1 + 2·0.25)/7 = 5.5/7 = 0.7857;
    #      deployment (3·0.6667 + 2·1 + 2·0.375)/7 = (2 + 2 + 0.75)/7 = 4.75/7 = 0.6786.
    #      points 4 + 5 + 3 = 12 → 12/63 = 0.1905; assessed (3+3+2)/21 = 8/21 = 0.381;
    #      known (2+2+2)/21 = 6/21 = 0.2857; mastered 1/21 = 0.0476.
    "2026-02": _rate(7, 0.5714, 0.7857, 0.6786, 0.1905, 0.381, 0.2857, 0.0476),
    # Mar and Apr: team C has no active member and is left out: the organization equals the North.
    "2026-03": NORTH_RATES["2026-03"],
    "2026-04": NORTH_RATES["2026-04"],
}


# The counts behind a team's deployment figures: coached = distinct active members observed in the
# month (A1's o6 and o6b are one member, B1's o8 and o9 too), animations held in the Paris month.
TEAM_COUNTS = {
    # unit: (coached Jan, Feb, Mar, Apr), (animations Jan, Feb, Mar, Apr)
    "T-A": ((2, 1, 2, 1), (2, 5, 1, 2)),
    "T-B": ((1, 2, 0, 1), (0, 4, 3, 0)),
    "T-C": ((1, 1, 0, 0), (1, 1, 2, 0)),
}

# Per dimension: accueil holds S and O (2 pairs per active member; O is never rated, so its pairs are
# level 1, unassessed), conseil holds R (1 pair per member). Same formulas over the dimension's pairs:
# (transformation_rate, assessed_share, known_share, mastered_share).
NULL_DIMENSION = (None, None, None, None)
DIMENSIONS = {
    # --- January --- (levels in the table above TEAM_RATES)
    # T-A accueil: S A1 2, A2 3 → points 1 + 2 = 3 over 6 pairs → 3/18 = 0.1667; assessed 2/6, known 2/6, mastered 0.
    #     conseil: R A1 1 → points 0 → 0.0; assessed 1/3 = 0.3333; known 0; mastered 0.
    ("T-A", "2026-01"): {"accueil": (0.1667, 0.3333, 0.3333, 0.0), "conseil": (0.0, 0.3333, 0.0, 0.0)},
    # T-B accueil: S B1 4 → 3 over 4 pairs → 3/12 = 0.25; assessed, known, mastered 1/4 = 0.25.
    #     conseil: R B1 2 → 1 over 2 pairs → 1/6 = 0.1667; assessed 1/2; known 1/2; mastered 0.
    ("T-B", "2026-01"): {"accueil": (0.25, 0.25, 0.25, 0.25), "conseil": (0.1667, 0.5, 0.5, 0.0)},
    # T-C accueil: S C2 2 → 1/12 = 0.0833; assessed 1/4, known 1/4. conseil: nobody rated: pairs at level 1
    #     → 0.0 everywhere (a figure over existing pairs, not a null).
    ("T-C", "2026-01"): {"accueil": (0.0833, 0.25, 0.25, 0.0), "conseil": (0.0, 0.0, 0.0, 0.0)},
    # B-N accueil: points 3 + 3 = 6 over 10 pairs → 6/30 = 0.2; assessed 3/10, known 3/10, mastered 1/10.
    #     conseil: points 0 + 1 = 1 over 5 → 1/15 = 0.0667; assessed 2/5 = 0.4; known 1/5 = 0.2; mastered 0.
    ("B-N", "2026-01"): {"accueil": (0.2, 0.3, 0.3, 0.1), "conseil": (0.0667, 0.4, 0.2, 0.0)},
    # org accueil: points 6 + 1 = 7 over 14 → 7/42 = 0.1667; assessed 4/14 = 0.2857; known 4/14; mastered 1/14
    #     = 0.0714. conseil: 1 over 7 → 1/21 = 0.0476; assessed 2/7 = 0.2857; known 1/7 = 0.1429; mastered 0.
    (None, "2026-01"): {"accueil": (0.1667, 0.2857, 0.2857, 0.0714), "conseil": (0.0476, 0.2857, 0.1429, 0.0)},
    # --- February ---
    # T-A accueil: S A1 3, A2 3 → 4/18 = 0.2222; assessed 2/6, known 2/6. conseil: R A1 1 → 0.0; assessed 1/3.
    ("T-A", "2026-02"): {"accueil": (0.2222, 0.3333, 0.3333, 0.0), "conseil": (0.0, 0.3333, 0.0, 0.0)},
    # T-B accueil: S B1 4 → 3/12 = 0.25 (B2 unrated). conseil: R B1 1 (the tie), B2 3 → 0 + 2 = 2/6 = 0.3333;
    #     assessed 2/2 = 1.0; known 1/2 = 0.5; mastered 0.
    ("T-B", "2026-02"): {"accueil": (0.25, 0.25, 0.25, 0.25), "conseil": (0.3333, 1.0, 0.5, 0.0)},
    # T-C accueil: S C1 3, C2 2 → 3/12 = 0.25; assessed 2/4 = 0.5; known 0.5. conseil: 0.0 everywhere.
    ("T-C", "2026-02"): {"accueil": (0.25, 0.5, 0.5, 0.0), "conseil": (0.0, 0.0, 0.0, 0.0)},
    # B-N accueil: 4 + 3 = 7/30 = 0.2333; assessed 3/10; known 3/10; mastered 1/10.
    #     conseil: 0 + 2 = 2/15 = 0.1333; assessed (1 + 2)/5 = 0.6; known 1/5 = 0.2; mastered 0.
    ("B-N", "2026-02"): {"accueil": (0.2333, 0.3, 0.3, 0.1), "conseil": (0.1333, 0.6, 0.2, 0.0)},
    # org accueil: 7 + 3 = 10/42 = 0.2381; assessed 5/14 = 0.3571; known 5/14; mastered 1/14 = 0.0714.
    #     conseil: 2/21 = 0.0952; assessed 3/7 = 0.4286; known 1/7 = 0.1429; mastered 0.
    (None, "2026-02"): {"accueil": (0.2381, 0.3571, 0.3571, 0.0714), "conseil": (0.0952, 0.4286, 0.1429, 0.0)},
    # --- March ---
    # T-A accueil: S A1 3, A3 2 → 3/18 = 0.1667; assessed 2/6; known 2/6. conseil: R A1 3 (o10) → 2/9 = 0.2222;
    #     assessed 1/3; known 1/3; mastered 0.
    ("T-A", "2026-03"): {"accueil": (0.1667, 0.3333, 0.3333, 0.0), "conseil": (0.2222, 0.3333, 0.3333, 0.0)},
    ("T-B", "2026-03"): {"accueil": (0.25, 0.25, 0.25, 0.25), "conseil": (0.3333, 1.0, 0.5, 0.0)},  # as in Feb
    ("T-C", "2026-03"): {"accueil": NULL_DIMENSION, "conseil": NULL_DIMENSION},  # no active member
    # B-N (= org) accueil: 3 + 3 = 6/30 = 0.2; assessed (2 + 1)/10 = 0.3; known 3/10; mastered 1/10.
    #     conseil: 2 + 2 = 4/15 = 0.2667; assessed (1 + 2)/5 = 0.6; known (1 + 1)/5 = 0.4; mastered 0.
    ("B-N", "2026-03"): {"accueil": (0.2, 0.3, 0.3, 0.1), "conseil": (0.2667, 0.6, 0.4, 0.0)},
    (None, "2026-03"): {"accueil": (0.2, 0.3, 0.3, 0.1), "conseil": (0.2667, 0.6, 0.4, 0.0)},
    # --- April ---
    # T-A accueil: S A1 4 (o11), A3 2 → 3 + 1 = 4/18 = 0.2222; assessed 2/6; known 2/6; mastered 1/6 = 0.1667.
    #     conseil: R A1 3 → 2/9 = 0.2222; assessed 1/3; known 1/3; mastered 0.
    ("T-A", "2026-04"): {"accueil": (0.2222, 0.3333, 0.3333, 0.1667), "conseil": (0.2222, 0.3333, 0.3333, 0.0)},
    # T-B accueil: S B1 4, B2 4 → 6/12 = 0.5; assessed 2/4, known 2/4, mastered 2/4 = 0.5.
    #     conseil: R B1 1, B2 4 → 0 + 3 = 3/6 = 0.5; assessed 1.0; known 1/2; mastered 1/2.
    ("T-B", "2026-04"): {"accueil": (0.5, 0.5, 0.5, 0.5), "conseil": (0.5, 1.0, 0.5, 0.5)},
    ("T-C", "2026-04"): {"accueil": NULL_DIMENSION, "conseil": NULL_DIMENSION},
    # B-N (= org) accueil: 4 + 6 = 10/30 = 0.3333; assessed (2 + 2)/10 = 0.4; known 4/10; mastered (1 + 2)/10
    #     = 0.3. conseil: 2 + 3 = 5/15 = 0.3333; assessed 3/5 = 0.6; known 2/5 = 0.4; mastered 1/5 = 0.2.
    #     (accueil 10 + conseil 5 = 15 points: the unit's 15/45 above.)
    ("B-N", "2026-04"): {"accueil": (0.3333, 0.4, 0.4, 0.3), "conseil": (0.3333, 0.6, 0.4, 0.2)},
    (None, "2026-04"): {"accueil": (0.3333, 0.4, 0.4, 0.3), "conseil": (0.3333, 0.6, 0.4, 0.2)},
}


# ---------------------------------------------------------------------------------------------
# Expected KPIs.
# NPS = 100·(P − D)/n; margin = 1.96·100·sqrt((p + d − (p − d)²)/n), p = P/n, d = D/n.
# CSAT = 100·top2/n (top2: csat ≥ 4), csat_mean = Σcsat/n; CES = Σces/n, ces_easy_share = easy/n (ces ≥ 5).
# low_sample: n < 5 (the organization's minimum sample).
# ---------------------------------------------------------------------------------------------


def _kpi(nps, nps_n, moe, csat, csat_mean, csat_n, ces, ces_easy, ces_n) -> dict:
    return {
        "nps": nps,
        "nps_n": nps_n,
        "nps_margin_of_error": moe,
        "nps_low_sample": nps_n < 5,
        "csat": csat,
        "csat_mean": csat_mean,
        "csat_n": csat_n,
        "csat_low_sample": csat_n < 5,
        "ces": ces,
        "ces_easy_share": ces_easy,
        "ces_n": ces_n,
        "ces_low_sample": ces_n < 5,
    }


# No response at all: every figure null, every n 0 (and n = 0 is below the minimum sample).
NO_RESPONSE = _kpi(None, 0, None, None, None, 0, None, None, 0)

# T-A, March: r1–r8 (r3 at 1 Mar 00:30 Paris is March; r9 is April).
#   NPS 10 9 8 6 3 9 → n 6, P 3 (10, 9, 9), D 2 (6, 3) → 100·1/6 = 16.6667;
#       p 0.5, d 0.3333: (0.8333 − 0.1667²)/6 = (0.8333 − 0.0278)/6 = 0.13426; sqrt 0.36641 × 196 = 71.8172.
#   CSAT 5 4 3 2 5 4 → n 6, top2 4 → 66.6667; mean 23/6 = 3.8333.
#   CES 7 6 5 3 2 4 → n 6, mean 27/6 = 4.5; easy (7, 6, 5) 3/6 = 0.5.
A_MARCH = _kpi(16.6667, 6, 71.8172, 66.6667, 3.8333, 6, 4.5, 0.5, 6)
# T-A, April: r9 alone (0, 1, 1): NPS 100·(0 − 1)/1 = −100, p 0, d 1: (1 − 1)/1 = 0 → margin 0.0;
#   CSAT top2 0/1 = 0.0 (a zero, not a null), mean 1.0; CES 1.0, easy 0/1 = 0.0.
A_APRIL = _kpi(-100.0, 1, 0.0, 0.0, 1.0, 1, 1.0, 0.0, 1)
# T-B: single responses. Jan r11 (9, 5, 6): NPS 100, margin sqrt((1 − 1)/1) = 0; CSAT 100, mean 5; CES 6, easy 1.
B_JANUARY = _kpi(100.0, 1, 0.0, 100.0, 5.0, 1, 6.0, 1.0, 1)
# Feb r12 (2, 1, 2; 1 Feb 00:30 Paris): NPS −100, margin 0; CSAT 0.0, mean 1; CES 2.0, easy 0.0.
B_FEBRUARY = _kpi(-100.0, 1, 0.0, 0.0, 1.0, 1, 2.0, 0.0, 1)
# Mar r10 (7, 4, 5): a passive → NPS 0.0 (not null), p = d = 0 → margin 0; CSAT 100, mean 4; CES 5, easy 1.
B_MARCH = _kpi(0.0, 1, 0.0, 100.0, 4.0, 1, 5.0, 1.0, 1)
# T-C, Jan: r13 (10, 5, –), r14 (10, –, –), r15 (5, –, 3).
#   NPS n 3, P 2, D 1 → 100/3 = 33.3333; p 0.6667, d 0.3333: (1 − 0.1111)/3 = 0.29630; sqrt 0.54433 × 196
#   = 106.6889. CSAT n 1 (5) → 100, mean 5. CES n 1 (3) → 3.0, easy 0.0.
C_JANUARY = _kpi(33.3333, 3, 106.6889, 100.0, 5.0, 1, 3.0, 0.0, 1)
# T-C, Mar: r16 (9, 4, 6): NPS 100, margin 0; CSAT 100, mean 4; CES 6, easy 1.
C_MARCH = _kpi(100.0, 1, 0.0, 100.0, 4.0, 1, 6.0, 1.0, 1)

TEAM_KPIS = {
    ("T-A", "2026-01"): NO_RESPONSE,
    ("T-A", "2026-02"): NO_RESPONSE,
    ("T-A", "2026-03"): A_MARCH,
    ("T-A", "2026-04"): A_APRIL,
    ("T-B", "2026-01"): B_JANUARY,
    ("T-B", "2026-02"): B_FEBRUARY,
    ("T-B", "2026-03"): B_MARCH,
    ("T-B", "2026-04"): NO_RESPONSE,
    ("T-C", "2026-01"): C_JANUARY,
    ("T-C", "2026-02"): NO_RESPONSE,
    ("T-C", "2026-03"): C_MARCH,
    ("T-C", "2026-04"): NO_RESPONSE,
}

NORTH_KPIS = {
    "2026-01": B_JANUARY,  # A has none
    "2026-02": B_FEBRUARY,
    # Mar: A + B. NPS n 6 + 1 = 7, P 3, D 2 → 100/7 = 14.2857; p 3/7, d 2/7: (5/7 − 1/49)/7 = 34/343
    #      = 0.099125; sqrt 0.31484 × 196 = 61.709. CSAT n 7, top2 4 + 1 = 5 → 71.4286; mean (23 + 4)/7 =
    #      3.8571. CES n 7, Σ 27 + 5 = 32 → 4.5714; easy 3 + 1 = 4/7 = 0.5714.
    "2026-03": _kpi(14.2857, 7, 61.709, 71.4286, 3.8571, 7, 4.5714, 0.5714, 7),
    "2026-04": A_APRIL,  # B has none
}

SOUTH_KPIS = {"2026-01": C_JANUARY, "2026-02": NO_RESPONSE, "2026-03": C_MARCH, "2026-04": NO_RESPONSE}

ORG_KPIS = {
    # Jan: B r11 + C r13–r15. NPS 9 10 10 5 → n 4, P 3, D 1 → 50.0; p 0.75, d 0.25: (1 − 0.25)/4 = 0.1875;
    #      sqrt 0.43301 × 196 = 84.8705. CSAT 5 5 → n 2, 100.0, mean 5.0. CES 6 3 → n 2, 4.5, easy 1/2 = 0.5.
    "2026-01": _kpi(50.0, 4, 84.8705, 100.0, 5.0, 2, 4.5, 0.5, 2),
    "2026-02": B_FEBRUARY,  # r12 is the organization's only February response
    # Mar: A + B + C. NPS n 8, P 3 + 0 + 1 = 4, D 2 → 200/8 = 25.0; p 0.5, d 0.25: (0.75 − 0.0625)/8 =
    #      0.0859375; sqrt 0.29315 × 196 = 57.4576. CSAT n 8, top2 4 + 1 + 1 = 6 → 75.0; mean (23 + 4 + 4)/8
    #      = 3.875. CES n 8, Σ 27 + 5 + 6 = 38 → 4.75; easy 3 + 1 + 1 = 5/8 = 0.625.
    "2026-03": _kpi(25.0, 8, 57.4576, 75.0, 3.875, 8, 4.75, 0.625, 8),
    "2026-04": A_APRIL,
}


# ---------------------------------------------------------------------------------------------
# Building the organization, recomputing, reading


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def golf(db, client):
    org = make_org("golf", "Golf Retail", timezone="Europe/Paris", min_sample_size=5)
    units = {}
    units["R-N"] = make_unit(org, UnitKind.REGION, code="R-N", name="Nord")
    units["B-N"] = make_unit(org, UnitKind.BUSINESS_UNIT, units["R-N"], code="B-N", name="BU Nord")
    units["T-A"] = make_unit(org, UnitKind.TEAM, units["B-N"], code="T-A", name="Équipe A")
    units["T-B"] = make_unit(org, UnitKind.TEAM, units["B-N"], code="T-B", name="Équipe B")
    units["R-S"] = make_unit(org, UnitKind.REGION, code="R-S", name="Sud")
    units["T-C"] = make_unit(org, UnitKind.TEAM, units["R-S"], code="T-C", name="Équipe C")
    experience_model_create_from_json(org=org, data=MODEL, activate=True)
    members = {
        code: member_create(
            org=org, code=code, name=f"Member {code}", team=units[team], active_from=_day(start), active_to=_day(end)
        )
        for code, team, start, end in MEMBERS
    }
    for _name, member, observed_at, kind, ratings in OBSERVATIONS:
        observation_create(
            org=org, member=members[member], observer=None, observed_at=_moment(observed_at), kind=kind, ratings=ratings
        )
    for team, held_at, attendees in ANIMATIONS:
        animation_create(
            org=org, team=units[team], held_by=None, held_at=_moment(held_at), kind="briefing", attendees=attendees
        )
    api = Api(client, make_api_key(org))
    items = [
        {
            "external_id": external_id,
            "unit": unit,
            "responded_at": responded_at,
            "journey": journey,
            "trigger": trigger,
            "channel": channel,
            "segment": "all",
            **{k: v for k, v in (("nps", nps), ("csat", csat), ("ces", ces)) if v is not None},
        }
        for external_id, unit, responded_at, nps, csat, ces, journey, trigger, channel in RESPONSES
    ]
    response = api.post("/api/v1/survey-responses/", items)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == len(RESPONSES), response.json()
    return {"org": org, "units": units, "api": api}


def _recompute(org) -> None:
    from kpis.engine.recompute import snapshots_recompute

    snapshots_recompute(org=org, months=MONTHS)


def _read(api, path: str, **params) -> list[dict]:
    """Every result of a paginated list, following ``next``."""
    response = api.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    results = list(body["results"])
    while body["next"]:
        response = api.get(body["next"])
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
    assert len(results) == body["count"]
    return results


def _by_unit_period(rows: list[dict]) -> dict:
    keyed = {(row["unit"], row["period"]): row for row in rows}
    assert len(keyed) == len(rows), "one result per (unit, period)"
    return keyed


def _mismatches(label: str, row: dict | None, expected: dict) -> list[str]:
    """The fields of ``row`` that differ from ``expected`` (None must be null; floats to 4 decimals)."""
    if row is None:
        return [f"{label}: no result"]
    wrong = []
    for field, want in expected.items():
        got = row.get(field, "<missing>")
        if want is None or isinstance(want, bool):
            ok = got is want
        elif isinstance(want, int):
            ok = got == want and not isinstance(got, bool)
        else:
            ok = isinstance(got, int | float) and not isinstance(got, bool) and round(got, 4) == want
        if not ok:
            wrong.append(f"{label} {field}: expected {want!r}, API {got!r}")
    return wrong


def _check(rows: dict, expected: dict) -> None:
    wrong = []
    for key, want in expected.items():
        wrong += _mismatches(f"{key[0]} {key[1]}", rows.get(key), want)
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# Rates


def test_team_rates_are_the_hand_computed_ones(golf):
    _recompute(golf["org"])
    rows = _by_unit_period(_read(golf["api"], "/api/v1/rates/", level="team", **{"from": "2026-01", "to": "2026-04"}))
    assert set(rows) == set(TEAM_RATES), "3 teams × 4 months, nothing else"
    assert [(r["unit"], r["period"]) for r in rows.values()] == sorted(TEAM_RATES), "ordered by unit then period"
    assert {r["kind"] for r in rows.values()} == {"team"}
    assert rows[("T-A", "2026-01")]["unit_name"] == "Équipe A"
    _check(rows, TEAM_RATES)


def test_business_unit_region_and_organization_rates_are_the_hand_computed_ones(golf):
    _recompute(golf["org"])
    api, span = golf["api"], {"from": "2026-01", "to": "2026-04"}

    bus = _by_unit_period(_read(api, "/api/v1/rates/", level="business_unit", **span))
    assert set(bus) == {("B-N", str(m)) for m in MONTHS}
    assert {r["kind"] for r in bus.values()} == {"business_unit"}
    _check(bus, {("B-N", month): want for month, want in NORTH_RATES.items()})

    regions = _by_unit_period(_read(api, "/api/v1/rates/", level="region", **span))
    assert set(regions) == {(code, str(m)) for code in ("R-N", "R-S") for m in MONTHS}
    assert {r["kind"] for r in regions.values()} == {"region"}
    _check(
        regions,
        {("R-N", month): want for month, want in NORTH_RATES.items()}
        | {("R-S", month): want for month, want in SOUTH_RATES.items()},
    )

    org = _by_unit_period(_read(api, "/api/v1/rates/", level="organization", **span))
    assert set(org) == {(None, str(m)) for m in MONTHS}
    assert {r["kind"] for r in org.values()} == {"organization"}
    _check(org, {(None, month): want for month, want in ORG_RATES.items()})


def test_team_counts_behind_the_deployment_figures(golf):
    _recompute(golf["org"])
    rows = _by_unit_period(_read(golf["api"], "/api/v1/rates/", level="team", **{"from": "2026-01", "to": "2026-04"}))
    expected = {
        (unit, str(month)): {"coached_members": coached[i], "animations": animations[i]}
        for unit, (coached, animations) in TEAM_COUNTS.items()
        for i, month in enumerate(MONTHS)
    }
    _check(rows, expected)


def test_per_dimension_figures_at_team_business_unit_and_organization_level(golf):
    _recompute(golf["org"])
    api, span = golf["api"], {"from": "2026-01", "to": "2026-04"}
    rows = {}
    for level in ("team", "business_unit", "organization"):
        rows |= _by_unit_period(_read(api, "/api/v1/rates/", level=level, **span))
    wrong = []
    for key, dimensions in DIMENSIONS.items():
        row = rows.get(key)
        got = {d["code"]: d for d in (row or {}).get("dimensions") or []}
        assert list(got) == ["accueil", "conseil"], f"{key}: the model's dimensions in order, got {list(got)}"
        for code, figures in dimensions.items():
            want = dict(
                zip(("transformation_rate", "assessed_share", "known_share", "mastered_share"), figures, strict=True)
            )
            wrong += _mismatches(f"{key[0]} {key[1]} {code}", got.get(code), want)
    assert not wrong, "\n".join(wrong)


def test_one_unit_by_code_and_a_narrower_span(golf):
    _recompute(golf["org"])
    api = golf["api"]
    rows = _by_unit_period(_read(api, "/api/v1/rates/", unit="R-S", **{"from": "2026-02", "to": "2026-03"}))
    assert set(rows) == {("R-S", "2026-02"), ("R-S", "2026-03")}
    _check(rows, {("R-S", "2026-02"): SOUTH_RATES["2026-02"], ("R-S", "2026-03"): SOUTH_RATES["2026-03"]})
    rows = _by_unit_period(_read(api, "/api/v1/rates/", unit="T-B", **{"from": "2026-02", "to": "2026-02"}))
    _check(rows, {("T-B", "2026-02"): TEAM_RATES[("T-B", "2026-02")]})


# ---------------------------------------------------------------------------------------------
# KPIs


def test_team_kpis_are_the_hand_computed_ones(golf):
    _recompute(golf["org"])
    rows = _by_unit_period(_read(golf["api"], "/api/v1/kpis/", level="team", **{"from": "2026-01", "to": "2026-04"}))
    assert set(rows) == set(TEAM_KPIS)
    _check(rows, TEAM_KPIS)


def test_business_unit_region_and_organization_kpis_are_the_hand_computed_ones(golf):
    _recompute(golf["org"])
    api, span = golf["api"], {"from": "2026-01", "to": "2026-04"}
    bus = _by_unit_period(_read(api, "/api/v1/kpis/", level="business_unit", **span))
    _check(bus, {("B-N", month): want for month, want in NORTH_KPIS.items()})
    regions = _by_unit_period(_read(api, "/api/v1/kpis/", level="region", **span))
    _check(
        regions,
        {("R-N", month): want for month, want in NORTH_KPIS.items()}
        | {("R-S", month): want for month, want in SOUTH_KPIS.items()},
    )
    org = _by_unit_period(_read(api, "/api/v1/kpis/", level="organization", **span))
    _check(org, {(None, month): want for month, want in ORG_KPIS.items()})
    by_code = _by_unit_period(_read(api, "/api/v1/kpis/", unit="B-N", **{"from": "2026-03", "to": "2026-03"}))
    _check(by_code, {("B-N", "2026-03"): NORTH_KPIS["2026-03"]})


def test_kpi_breakdowns_by_journey_and_trigger(golf):
    _recompute(golf["org"])
    api, march = golf["api"], {"from": "2026-03", "to": "2026-03"}

    # T-A, March, journey purchase: r1 (10, 5, 7), r2 (9, 4, 6), r3 (8, 3, 5), r6 (9, –, –), r8 (–, –, 4).
    #   NPS 10 9 8 9 → n 4, P 3, D 0 → 75.0; p 0.75, d 0: (0.75 − 0.5625)/4 = 0.046875; sqrt 0.21651 × 196
    #   = 42.4352. CSAT 5 4 3 → n 3, top2 2 → 66.6667, mean 12/3 = 4.0. CES 7 6 5 4 → n 4, 22/4 = 5.5,
    #   easy 3/4 = 0.75.
    rows = _by_unit_period(_read(api, "/api/v1/kpis/", unit="T-A", journey="purchase", **march))
    _check(rows, {("T-A", "2026-03"): _kpi(75.0, 4, 42.4352, 66.6667, 4.0, 3, 5.5, 0.75, 4)})

    # T-A, March, journey after-sales: r4 (6, 2, 3), r5 (3, 5, 2), r7 (–, 4, –).
    #   NPS 6 3 → n 2, P 0, D 2 → −100.0; p 0, d 1: (1 − 1)/2 = 0 → 0.0. CSAT 2 5 4 → n 3, top2 2 → 66.6667,
    #   mean 11/3 = 3.6667. CES 3 2 → n 2, 2.5, easy 0.0.
    rows = _by_unit_period(_read(api, "/api/v1/kpis/", unit="T-A", journey="after-sales", **march))
    _check(rows, {("T-A", "2026-03"): _kpi(-100.0, 2, 0.0, 66.6667, 3.6667, 3, 2.5, 0.0, 2)})

    # T-A, March, trigger event (hot): r1, r2, r4, r6, r7.
    #   NPS 10 9 6 9 → n 4, P 3, D 1 → 50.0; p 0.75, d 0.25: (1 − 0.25)/4 = 0.1875 → 84.8705.
    #   CSAT 5 4 2 4 → n 4, top2 3 → 75.0, mean 15/4 = 3.75. CES 7 6 3 → n 3, 16/3 = 5.3333, easy 2/3 = 0.6667.
    rows = _by_unit_period(_read(api, "/api/v1/kpis/", unit="T-A", trigger="event", **march))
    _check(rows, {("T-A", "2026-03"): _kpi(50.0, 4, 84.8705, 75.0, 3.75, 4, 5.3333, 0.6667, 3)})

    # Organization, March, trigger event: T-A's five + r10 (7, 4, 5) + r16 (9, 4, 6).
    #   NPS 10 9 6 9 7 9 → n 6, P 4, D 1 → 300/6 = 50.0; p 0.6667, d 0.1667: (0.8333 − 0.25)/6 = 0.097222;
    #   sqrt 0.31180 × 196 = 61.1137. CSAT 5 4 2 4 4 4 → n 6, top2 5 → 83.3333, mean 23/6 = 3.8333.
    #   CES 7 6 3 5 6 → n 5, 27/5 = 5.4, easy 4/5 = 0.8 (n 5 is not below the minimum of 5).
    rows = _by_unit_period(_read(api, "/api/v1/kpis/", level="organization", trigger="event", **march))
    _check(rows, {(None, "2026-03"): _kpi(50.0, 6, 61.1137, 83.3333, 3.8333, 6, 5.4, 0.8, 5)})

    # Organization, March, trigger periodic (cold): r3 (8, 3, 5), r5 (3, 5, 2), r8 (–, –, 4).
    #   NPS 8 3 → n 2, P 0, D 1 → −50.0; p 0, d 0.5: (0.5 − 0.25)/2 = 0.125; sqrt 0.35355 × 196 = 69.2965.
    #   CSAT 3 5 → n 2, top2 1 → 50.0, mean 4.0. CES 5 2 4 → n 3, 11/3 = 3.6667, easy 1/3 = 0.3333.
    rows = _by_unit_period(_read(api, "/api/v1/kpis/", level="organization", trigger="periodic", **march))
    _check(rows, {(None, "2026-03"): _kpi(-50.0, 2, 69.2965, 50.0, 4.0, 2, 3.6667, 0.3333, 3)})


def test_a_quarter_sums_its_months_counts(golf):
    _recompute(golf["org"])
    # Organization, 2026-Q1 = Jan + Feb + Mar counts:
    #   NPS n 4 + 1 + 8 = 13, P 3 + 0 + 4 = 7, D 1 + 1 + 2 = 4 → 300/13 = 23.0769;
    #       p 7/13, d 4/13: (11/13 − 9/169)/13 = (0.84615 − 0.05325)/13 = 0.060992; sqrt 0.24697 × 196 = 48.4054.
    #   CSAT n 2 + 1 + 8 = 11, top2 2 + 0 + 6 = 8 → 72.7273; Σ 10 + 1 + 31 = 42 → mean 3.8182.
    #   CES n 2 + 1 + 8 = 11, Σ 9 + 2 + 38 = 49 → 4.4545; easy 1 + 0 + 5 = 6/11 = 0.5455.
    rows = _by_unit_period(
        _read(
            golf["api"], "/api/v1/kpis/", level="organization", period="quarter", **{"from": "2026-01", "to": "2026-03"}
        )
    )
    _check(rows, {(None, "2026-Q1"): _kpi(23.0769, 13, 48.4054, 72.7273, 3.8182, 11, 4.4545, 0.5455, 11)})

    # All four filters at once, 2026-Q1: journey purchase, segment all, channel store, trigger event →
    #   r11 (9, 5, 6; B Jan), r15 (5, –, 3; C Jan), r1 (10, 5, 7), r2 (9, 4, 6), r6 (9, –, –) (A Mar),
    #   r10 (7, 4, 5; B Mar). NPS 9 5 10 9 9 7 → n 6, P 4, D 1 → 50.0; margin as the March event one, 61.1137.
    #   CSAT 5 5 4 4 → n 4, 100.0, mean 18/4 = 4.5 (low sample: 4 < 5). CES 6 3 7 6 5 → n 5, 27/5 = 5.4,
    #   easy 4/5 = 0.8.
    filters = {"journey": "purchase", "segment": "all", "channel": "store", "trigger": "event"}
    rows = _by_unit_period(
        _read(
            golf["api"],
            "/api/v1/kpis/",
            level="organization",
            period="quarter",
            **filters,
            **{"from": "2026-01", "to": "2026-03"},
        )
    )
    _check(rows, {(None, "2026-Q1"): _kpi(50.0, 6, 61.1137, 100.0, 4.5, 4, 5.4, 0.8, 5)})


def test_weeks_of_march(golf):
    _recompute(golf["org"])
    # ISO weeks overlapping March 2026, in Paris: W09 = 23 Feb–1 Mar … W14 = 30 Mar–5 Apr.
    rows = _by_unit_period(
        _read(golf["api"], "/api/v1/kpis/", level="organization", period="week", **{"from": "2026-03", "to": "2026-03"})
    )
    assert sorted(rows) == [(None, f"2026-W{n:02d}") for n in range(9, 15)]
    _check(
        rows,
        {
            # W09: r3 (8, 3, 5) on Sunday 1 March 00:30 Paris: a passive → NPS 0.0, margin 0; CSAT 3 → 0.0,
            #   mean 3.0; CES 5 → 5.0, easy 1.0.
            (None, "2026-W09"): _kpi(0.0, 1, 0.0, 0.0, 3.0, 1, 5.0, 1.0, 1),
            # W10: r1 (10, 5, 7).
            (None, "2026-W10"): _kpi(100.0, 1, 0.0, 100.0, 5.0, 1, 7.0, 1.0, 1),
            # W11: r2 (9, 4, 6), r10 (7, 4, 5), r16 (9, 4, 6). NPS n 3, P 2, D 0 → 66.6667; p 0.6667, d 0:
            #   (0.6667 − 0.4444)/3 = 0.074074; sqrt 0.27217 × 196 = 53.3444. CSAT 4 4 4 → 100.0, mean 4.0.
            #   CES 6 5 6 → 17/3 = 5.6667, easy 1.0.
            (None, "2026-W11"): _kpi(66.6667, 3, 53.3444, 100.0, 4.0, 3, 5.6667, 1.0, 3),
            # W12: r4 (6, 2, 3).
            (None, "2026-W12"): _kpi(-100.0, 1, 0.0, 0.0, 2.0, 1, 3.0, 0.0, 1),
            # W13: r5 (3, 5, 2), r6 (9, –, –), r7 (–, 4, –), r8 (–, –, 4). NPS 3 9 → n 2, P 1, D 1 → 0.0;
            #   p = d = 0.5: (1 − 0)/2 = 0.5; sqrt 0.70711 × 196 = 138.5929. CSAT 5 4 → 100.0, mean 4.5.
            #   CES 2 4 → 3.0, easy 0.0.
            (None, "2026-W13"): _kpi(0.0, 2, 138.5929, 100.0, 4.5, 2, 3.0, 0.0, 2),
            # W14: r9 (0, 1, 1) at 1 April 00:30 Paris: the whole week counts, April days included.
            (None, "2026-W14"): A_APRIL,
        },
    )


# ---------------------------------------------------------------------------------------------
# Recompute twice, move a team


def _every_answer(api) -> dict:
    span = {"from": "2026-01", "to": "2026-04"}
    answers = {}
    for path in ("/api/v1/rates/", "/api/v1/kpis/"):
        for level in ("team", "business_unit", "region", "organization"):
            answers[path, level] = _read(api, path, level=level, **span)
    answers["trigger=event"] = _read(api, "/api/v1/kpis/", level="team", trigger="event", **span)
    return answers


def test_recomputing_twice_gives_identical_answers(golf):
    org, api = golf["org"], golf["api"]
    _recompute(org)
    first = _every_answer(api)
    # The second run through the management command, as operators run it.
    call_command("compute_rates", "--org", org.slug, "--from", "2026-01", "--to", "2026-04")
    assert _every_answer(api) == first
    _recompute(org)
    assert _every_answer(api) == first
    _check(_by_unit_period(first["/api/v1/rates/", "team"]), TEAM_RATES)


def test_moving_team_b_under_region_s_changes_the_regions_without_a_recompute(golf):
    org, api, units = golf["org"], golf["api"], golf["units"]
    _recompute(org)
    span = {"from": "2026-01", "to": "2026-04"}
    org_rates_before = _read(api, "/api/v1/rates/", level="organization", **span)
    org_kpis_before = _read(api, "/api/v1/kpis/", level="organization", **span)

    unit_update(unit=units["T-B"], parent=units["R-S"])  # no recompute after this

    regions = _by_unit_period(_read(api, "/api/v1/rates/", level="region", **span))
    _check(
        regions,
        {
            # R-N now holds team A only (through B-N): its figures are T-A's.
            **{("R-N", str(m)): TEAM_RATES[("T-A", str(m))] for m in MONTHS},
            # R-S, January: B (2 active) + C (2 active). coverage (1 + 1)/4 = 0.5; cadence (2·0 + 2·0.25)/4
            #   = 0.125; deployment (2·0.25 + 2·0.375)/4 = 1.25/4 = 0.3125. pairs 6 + 6 = 12, points 4 + 1 = 5
            #   → 5/36 = 0.1389; assessed (2 + 1)/12 = 0.25; known (2 + 1)/12 = 0.25; mastered 1/12 = 0.0833.
            ("R-S", "2026-01"): _rate(4, 0.5, 0.125, 0.3125, 0.1389, 0.25, 0.25, 0.0833),
            # R-S, February: B + C. coverage (2 + 1)/4 = 0.75; cadence (2·1 + 2·0.25)/4 = 0.625;
            #   deployment (2·1 + 2·0.375)/4 = 2.75/4 = 0.6875. points 5 + 3 = 8 → 8/36 = 0.2222;
            #   assessed (3 + 2)/12 = 0.4167; known (2 + 2)/12 = 0.3333; mastered 1/12 = 0.0833.
            ("R-S", "2026-02"): _rate(4, 0.75, 0.625, 0.6875, 0.2222, 0.4167, 0.3333, 0.0833),
            # R-S, March and April: C has no member → the region's figures are T-B's.
            ("R-S", "2026-03"): TEAM_RATES[("T-B", "2026-03")],
            ("R-S", "2026-04"): TEAM_RATES[("T-B", "2026-04")],
        },
    )
    bus = _by_unit_period(_read(api, "/api/v1/rates/", level="business_unit", **span))
    _check(bus, {("B-N", str(m)): TEAM_RATES[("T-A", str(m))] for m in MONTHS})

    kpis = _by_unit_period(_read(api, "/api/v1/kpis/", level="region", **span))
    _check(
        kpis,
        {
            **{("R-N", month): TEAM_KPIS[("T-A", month)] for month in ("2026-01", "2026-02", "2026-03", "2026-04")},
            # R-S, Jan: B r11 (9, 5, 6) + C r13–r15. NPS 9 10 10 5 → n 4, P 3, D 1 → 50.0, margin 84.8705;
            #   CSAT 5 5 → 100.0, mean 5.0; CES 6 3 → 4.5, easy 0.5. (The organization's January.)
            ("R-S", "2026-01"): ORG_KPIS["2026-01"],
            ("R-S", "2026-02"): B_FEBRUARY,
            # R-S, Mar: B r10 (7, 4, 5) + C r16 (9, 4, 6). NPS n 2, P 1, D 0 → 50.0; p 0.5, d 0:
            #   (0.5 − 0.25)/2 = 0.125 → 69.2965. CSAT 4 4 → 100.0, mean 4.0. CES 5 6 → 5.5, easy 1.0.
            ("R-S", "2026-03"): _kpi(50.0, 2, 69.2965, 100.0, 4.0, 2, 5.5, 1.0, 2),
            ("R-S", "2026-04"): NO_RESPONSE,
        },
    )
    # The organization as a whole is unchanged.
    assert _read(api, "/api/v1/rates/", level="organization", **span) == org_rates_before
    assert _read(api, "/api/v1/kpis/", level="organization", **span) == org_kpis_before
