"""The demo organization's experience model (in French, like the demo organization) and journeys.

Called by ``seed_demo`` through ``seed(org)``; does nothing when the organization already has a model.
"""

from django.db import transaction

from cxtracker.tenancy.models import Organization

from .models import ExperienceModel, Journey
from .services import experience_model_create_from_json, journey_stage_create

JOURNEYS = [
    (
        "achat-magasin",
        "Achat en magasin",
        "Du premier contact en rayon au passage en caisse.",
        [
            ("Entrée en magasin", True),
            ("Recherche en rayon", False),
            ("Conseil vendeur", True),
            ("Passage en caisse", False),
        ],
    ),
    (
        "contact-sav",
        "Contact SAV",
        "Un client revient avec un produit défectueux ou une question après l'achat.",
        [("Prise en charge", True), ("Diagnostic", False), ("Solution proposée", True), ("Suivi", False)],
    ),
    (
        "retrait-commande",
        "Retrait de commande",
        "Le client vient chercher une commande passée en ligne.",
        [("Accueil au comptoir", True), ("Remise de la commande", False), ("Vérification avec le client", False)],
    ),
]


def _b(code, name, g1, g2, g3, g4):
    return {"code": code, "name": name, "guidance": {"1": g1, "2": g2, "3": g3, "4": g4}}


MODEL = {
    "name": "Expérience client 2026",
    "description": "Les comportements attendus de chaque vendeur, de l'accueil à la prise de congé.",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "description": "Les premières secondes décident de la suite : le client se sent attendu.",
            "journeys": ["achat-magasin", "contact-sav", "retrait-commande"],
            "behaviors": [
                _b(
                    "salue-30s",
                    "Salue le client dans les 30 secondes",
                    "Ne remarque pas le client qui entre.",
                    "Salue quand le client s'adresse à lui.",
                    "Salue chaque client dans les 30 secondes, même occupé.",
                    "Salue dans les 30 secondes avec un mot personnalisé, y compris aux heures de pointe.",
                ),
                _b(
                    "sourire-regard",
                    "Sourit et établit un contact visuel",
                    "Reste tourné vers sa tâche.",
                    "Sourit mais évite le regard.",
                    "Sourit et regarde le client en le saluant.",
                    "Son attitude met le client à l'aise dès l'entrée, de façon naturelle.",
                ),
                _b(
                    "disponibilite",
                    "Se rend disponible en interrompant sa tâche",
                    "Finit sa tâche avant de s'occuper du client.",
                    "Interrompt sa tâche si le client insiste.",
                    "Interrompt sa tâche dès qu'un client a besoin de lui.",
                    "Anticipe : se positionne là où les clients arrivent et organise ses tâches en conséquence.",
                ),
                _b(
                    "signale-attente",
                    "Signale au client qu'il l'a vu quand il est déjà occupé",
                    "Laisse le client attendre sans un signe.",
                    "Fait un signe de tête quand le client s'impatiente.",
                    "Indique au client qu'il arrive dans un instant.",
                    "Donne un délai réaliste et, si besoin, passe le relais à un collègue.",
                ),
            ],
        },
        {
            "code": "decouverte",
            "name": "Découverte",
            "description": "Comprendre le besoin réel avant de proposer quoi que ce soit.",
            "journeys": ["achat-magasin", "contact-sav"],
            "behaviors": [
                _b(
                    "questions-ouvertes",
                    "Pose des questions ouvertes pour cerner le besoin",
                    "Propose un produit sans poser de question.",
                    "Pose des questions fermées (oui / non).",
                    "Pose au moins deux questions ouvertes sur l'usage.",
                    "Enchaîne les questions ouvertes et fait préciser l'usage, le contexte et les attentes.",
                ),
                _b(
                    "ecoute-active",
                    "Écoute sans interrompre",
                    "Coupe la parole au client.",
                    "Écoute mais prépare déjà sa réponse.",
                    "Laisse le client finir et relance sur ce qu'il a dit.",
                    "Reprend les mots du client et relève ce qu'il n'a pas dit explicitement.",
                ),
                _b(
                    "reformule",
                    "Reformule le besoin et le fait valider",
                    "Ne reformule pas.",
                    "Reformule partiellement, sans demander de confirmation.",
                    "Reformule le besoin et demande au client s'il a bien compris.",
                    "Reformule besoin, contraintes et priorités ; le client enrichit la reformulation.",
                ),
                _b(
                    "budget-delai",
                    "S'informe du budget et du délai du client",
                    "N'aborde jamais le budget.",
                    "Aborde le budget seulement si le client en parle.",
                    "Demande le budget et l'échéance avec tact.",
                    "Intègre budget et délai dans sa proposition sans mettre le client mal à l'aise.",
                ),
            ],
        },
        {
            "code": "conseil",
            "name": "Conseil",
            "description": "Une recommandation claire, honnête et adaptée au besoin exprimé.",
            "journeys": ["achat-magasin", "contact-sav"],
            "behaviors": [
                _b(
                    "argumente-benefices",
                    "Argumente en bénéfices pour le client, pas en caractéristiques",
                    "Récite la fiche technique.",
                    "Cite quelques avantages généraux.",
                    "Relie chaque argument à un besoin exprimé.",
                    "Illustre les bénéfices par l'usage du client lui-même.",
                ),
                _b(
                    "deux-solutions",
                    "Propose au moins deux solutions adaptées",
                    "Propose un seul produit, souvent le plus cher.",
                    "Propose plusieurs produits sans les comparer.",
                    "Propose deux ou trois solutions et les compare.",
                    "Propose des solutions graduées et aide le client à choisir selon ses priorités.",
                ),
                _b(
                    "demonstration",
                    "Fait essayer ou démontre le produit",
                    "Ne propose pas d'essai.",
                    "Propose l'essai si le client le demande.",
                    "Propose spontanément un essai ou une démonstration.",
                    "Met en scène l'essai dans une situation proche de l'usage du client.",
                ),
                _b(
                    "objections",
                    "Traite les objections sans se braquer",
                    "Contredit le client ou ignore l'objection.",
                    "Répond à l'objection de façon défensive.",
                    "Accueille l'objection, la reformule et y répond.",
                    "Fait émerger les objections lui-même et les transforme en critères de choix.",
                ),
                _b(
                    "services-associes",
                    "Présente les services associés utiles (livraison, garantie, installation)",
                    "N'en parle pas.",
                    "Les cite tous, sans lien avec le besoin.",
                    "Présente les services pertinents pour ce client.",
                    "Intègre le service dans la solution au point que le client le demande.",
                ),
                _b(
                    "honnetete",
                    "Dit honnêtement quand un produit ne convient pas",
                    "Vend quel que soit le besoin.",
                    "Reste vague sur les limites du produit.",
                    "Signale les limites et oriente vers un meilleur choix.",
                    "Le client repart confiant, même orienté vers un produit moins cher ou ailleurs.",
                ),
            ],
        },
        {
            "code": "conclusion",
            "name": "Conclusion",
            "description": "Aider le client à décider et rendre le passage en caisse fluide.",
            "journeys": ["achat-magasin", "retrait-commande"],
            "behaviors": [
                _b(
                    "aide-decision",
                    "Aide le client à se décider sans le presser",
                    "Attend que le client se décide seul, ou le presse.",
                    "Résume les options quand le client hésite.",
                    "Récapitule les points clés et propose de conclure.",
                    "Sent le bon moment et conclut naturellement, le client se sent libre.",
                ),
                _b(
                    "recapitule-achat",
                    "Récapitule l'achat et les conditions (prix, délais, garantie)",
                    "Ne récapitule pas.",
                    "Donne le prix seulement.",
                    "Récapitule prix, délais et garantie avant l'encaissement.",
                    "Récapitule et vérifie que le client a tout compris, sans jargon.",
                ),
                _b(
                    "accompagne-caisse",
                    "Accompagne le client jusqu'à la caisse ou encaisse lui-même",
                    "Indique la caisse de loin.",
                    "Accompagne quand la caisse est vide.",
                    "Accompagne et présente le client au collègue en caisse.",
                    "Organise le passage en caisse pour que le client n'attende pas.",
                ),
                _b(
                    "fidelite",
                    "Propose le programme de fidélité à bon escient",
                    "N'en parle pas.",
                    "Le propose mécaniquement à tous.",
                    "Le propose en expliquant l'intérêt pour ce client.",
                    "Le client adhère parce qu'il y voit un avantage concret.",
                ),
            ],
        },
        {
            "code": "prise-de-conge",
            "name": "Prise de congé",
            "description": "La dernière impression : le client a envie de revenir.",
            "journeys": ["achat-magasin", "contact-sav", "retrait-commande"],
            "behaviors": [
                _b(
                    "remercie",
                    "Remercie le client personnellement",
                    "Ne remercie pas.",
                    "Dit « merci, au revoir » machinalement.",
                    "Remercie en regardant le client, avec son nom si possible.",
                    "Remercie de façon personnalisée en rappelant un élément de l'échange.",
                ),
                _b(
                    "verifie-satisfaction",
                    "Vérifie que le client a tout ce qu'il lui faut",
                    "Ne pose pas la question.",
                    "Demande « autre chose ? » sans attendre la réponse.",
                    "Demande s'il a besoin d'autre chose et écoute la réponse.",
                    "Anticipe un besoin complémentaire ou une question d'usage.",
                ),
                _b(
                    "prochain-contact",
                    "Indique comment le recontacter et la suite (SAV, livraison)",
                    "Ne donne aucune information.",
                    "Donne la carte du magasin.",
                    "Explique qui contacter et quand en cas de besoin.",
                    "Donne un contact direct et propose un rendez-vous ou un rappel.",
                ),
                _b(
                    "raccompagne",
                    "Raccompagne ou salue le client à son départ",
                    "Ne le voit pas partir.",
                    "Le salue s'il passe devant lui.",
                    "Le salue à son départ.",
                    "Le raccompagne vers la sortie quand c'est possible, avec un mot pour la suite.",
                ),
            ],
        },
    ],
}


@transaction.atomic
def seed(org: Organization) -> ExperienceModel:
    """Create the demo journeys and the active model, unless the organization already has a model."""
    existing = ExperienceModel.objects.for_org(org).order_by("-is_active", "-version").first()
    if existing is not None:
        return existing
    for code, name, description, stages in JOURNEYS:
        journey, created = Journey.objects.get_or_create(
            organization=org, code=code, defaults={"name": name, "description": description}
        )
        if created:
            for stage_name, moment_of_truth in stages:
                journey_stage_create(org=org, journey=journey, name=stage_name, is_moment_of_truth=moment_of_truth)
    return experience_model_create_from_json(org=org, data=MODEL, activate=True)
