"""SPEC §4's score of a mastery level, pinned by hand: what a member's mastery series draws."""

import pytest

from experience.models import Level


@pytest.mark.parametrize(("level", "score"), [(1, 0.0), (2, 1 / 3), (3, 2 / 3), (4, 1.0)])
def test_a_level_scores_its_distance_from_unknown_over_three(level, score):
    assert Level(level).score() == pytest.approx(score)
