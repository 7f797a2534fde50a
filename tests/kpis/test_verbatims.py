"""Personal data in verbatims, by hand: what a French customer writes, what is masked and what
must stay (prices, dates, order numbers, postal codes)."""

import pytest

from kpis.verbatims import Markers, luhn_valid, mask_personal_data

FR = Markers(email="[e-mail]", phone="[téléphone]", iban="[IBAN]", card="[carte]")


@pytest.mark.parametrize(
    ("comment", "stored", "count"),
    [
        (
            "Rappelez-moi au 06 12 34 56 78 ou jean.dupont@orange.fr",
            "Rappelez-moi au [téléphone] ou [e-mail]",
            2,
        ),
        ("Mon fixe : +33 1 23 45 67 89, merci d'avance", "Mon fixe : [téléphone], merci d'avance", 1),
        ("joignable au 06.12.34.56.78 ou au 0033 (0)6 12 34 56 78", "joignable au [téléphone] ou au [téléphone]", 2),
        ("Mon fils à Londres : +44 20 7946 0958.", "Mon fils à Londres : [téléphone].", 1),
        ("Remboursez sur FR76 3000 6000 0112 3456 7890 189 svp", "Remboursez sur [IBAN] svp", 1),
        ("IBAN : FR7630006000011234567890189.", "IBAN : [IBAN].", 1),
        ("Payé par carte 4970 1012 3456 7893, débitée 2 fois", "Payé par carte [carte], débitée 2 fois", 1),
        ("carte 4111-1111-1111-1111 refusée", "carte [carte] refusée", 1),
        ("Écrivez à Marie.Lefèvre+sav@exemple.co.uk", "Écrivez à [e-mail]", 1),
    ],
)
def test_personal_data_is_replaced_by_markers(comment, stored, count):
    assert mask_personal_data(comment, FR) == (stored, count)


@pytest.mark.parametrize(
    "comment",
    [
        "Commande n° 4578912 livrée le 12/03/2026, 129,90 € au lieu de 149 €",
        "Magasin du 75011 Paris, passé le 2026-03-11 à 18h30, ticket 2026031118300012",
        "Canapé à 1 299,00 € ; facture 1234567890123 ; colis 6A12345678901",
        "Très bon accueil, vendeuse au top 10/10",
        # Shaped like an IBAN, a card or a phone, but their check digits do not hold.
        "Réf. FR76 3000 6000 0112 3456 7890 188 et 4970 1012 3456 7894",
        "",
    ],
)
def test_prices_dates_order_numbers_and_postal_codes_stay(comment):
    assert mask_personal_data(comment, FR) == (comment, 0)


def test_luhn_by_hand():
    # 4970 1012 3456 7893: doubled from the right, the digits sum to 80.
    assert luhn_valid("4970101234567893")
    assert not luhn_valid("4970101234567894")
