"""The demo's fixed data: towns, club names, bands, shows (a fixed seed makes the rest)."""

import zoneinfo

from parvis.programming.models import Genre

SEED = 2026
DEMO_PASSWORD = "parvis-demo-2026"  # noqa: S105 - printed on purpose
# Base32 secret of the demo administrator's authenticator (demo only: printed on purpose).
DEMO_TOTP_SECRET = "PARVISDEMOADMINTOTPWINTERABCDEFG"  # noqa: S105 - base32: letters and 2-7 only
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

IDF_TOWNS = [
    ("Paris", "75011", 48.8590, 2.3790),
    ("Montreuil", "93100", 48.8638, 2.4485),
    ("Saint-Denis", "93200", 48.9362, 2.3574),
    ("Vincennes", "94300", 48.8474, 2.4392),
    ("Boulogne-Billancourt", "92100", 48.8397, 2.2399),
    ("Versailles", "78000", 48.8049, 2.1204),
    ("Nanterre", "92000", 48.8924, 2.2071),
    ("Ivry-sur-Seine", "94200", 48.8131, 2.3847),
    ("Créteil", "94000", 48.7904, 2.4556),
    ("Pantin", "93500", 48.8944, 2.4093),
    ("Malakoff", "92240", 48.8169, 2.2994),
    ("Argenteuil", "95100", 48.9472, 2.2467),
    ("Évry-Courcouronnes", "91000", 48.6290, 2.4410),
    ("Cergy", "95000", 49.0364, 2.0761),
    ("Meaux", "77100", 48.9601, 2.8788),
    ("Fontainebleau", "77300", 48.4047, 2.7016),
    ("Saint-Germain-en-Laye", "78100", 48.8989, 2.0938),
    ("Rueil-Malmaison", "92500", 48.8778, 2.1803),
    ("Vitry-sur-Seine", "94400", 48.7875, 2.3928),
    ("Clichy", "92110", 48.9045, 2.3055),
    ("Le Blanc-Mesnil", "93150", 48.9386, 2.4614),
    ("Noisy-le-Grand", "93160", 48.8486, 2.5526),
    ("Massy", "91300", 48.7309, 2.2713),
    ("Melun", "77000", 48.5421, 2.6554),
    ("Rambouillet", "78120", 48.6437, 1.8295),
]
CLUB_WORDS = [
    "Blue Note",
    "Caveau",
    "Swing",
    "Sunset",
    "Duc",
    "Comptoir",
    "Studio",
    "Petit Journal",
    "Péniche",
    "Baiser Salé",
    "Cave",
    "Arbre",
    "Triton",
    "Sept Lézards",
    "Écluse",
    "Minotaure",
    "Bémol",
    "Quai",
    "Quartier",
    "Tambour",
    "Archipel",
    "Cabaret",
    "Grange",
    "Kiosque",
    "Usine",
]
# The article each club's name takes (the others: "Le").
CLUB_ARTICLES = {
    "Péniche": "La ",
    "Cave": "La ",
    "Grange": "La ",
    "Sept Lézards": "Les ",
    "Arbre": "L'",
    "Écluse": "L'",
    "Archipel": "L'",
    "Usine": "L'",
}
BANDS = [
    "Quartet Aurore",
    "Trio Sillage",
    "Big Band des Lilas",
    "Nora Delmas Quintet",
    "Samba de Chambre",
    "Léon Farrah Trio",
    "Les Swingueurs",
    "Marie-Ève Kessler",
    "Orchestre du Canal",
    "Duo Ardoise",
    "Jazz Manouche Express",
    "Amadou Sy Sextet",
    "Hélène Brun & Co",
    "Trio Éphémère",
    "Funk Ambassade",
    "Clara Nguyen Quartet",
    "Bebop Collectif",
    "Yann Le Goff Trio",
    "Fanfare Ébène",
    "Sofia Ramos Group",
]
THEATRE_SHOWS = [
    ("Le Misanthrope", Genre.THEATRE, "Molière revisité par une troupe de huit comédiens."),
    ("Les Bonnes", Genre.THEATRE, "Jean Genet, huis clos et jeux de rôles."),
    ("Cendrillon", Genre.YOUNG_AUDIENCE, "Conte musical pour les enfants dès 6 ans."),
    ("Fragments d'un corps", Genre.DANCE, "Pièce chorégraphique pour cinq danseurs."),
    ("La Cerisaie", Genre.THEATRE, "Tchekhov, l'histoire d'une maison que l'on quitte."),
    ("Voltige", Genre.CIRCUS, "Cirque aérien et mât chinois."),
]
