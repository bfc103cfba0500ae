"""The demo shop's data: a French corner shop's catalogue, scale products and customer names.

Plain data, kept apart from the code that builds the demo (``till.demo.build``) so each stays easy to
read; the benchmarks' generator draws from the same lists.
"""

from __future__ import annotations

# --- The catalogue ------------------------------------------------------------------------------
# One line a product: name ; VAT-inclusive price in cents ; VAT code. Rates as French law sets
# them: food and non-alcoholic drinks, books R (5.5 %); newspapers and magazines, reimbursable
# medicines S (2.1 %); ready-to-eat take-away food and non-reimbursable medicines I (10 %);
# alcohol, sweets, hygiene, household goods, stationery N (20 %).

CATALOGUE: dict[str, str] = {
    "Épicerie": """
        Pâtes penne rigate 500 g;119;R
        Pâtes spaghetti n°5 500 g;115;R
        Pâtes coquillettes 500 g;105;R
        Pâtes fusilli complètes 500 g;169;R
        Tagliatelles aux œufs frais 250 g;229;R
        Riz basmati 1 kg;329;R
        Riz long grain 1 kg;199;R
        Riz de Camargue IGP 500 g;289;R
        Semoule de blé moyenne 1 kg;189;R
        Lentilles vertes du Puy AOP 500 g;349;R
        Pois chiches 400 g;135;R
        Haricots blancs 400 g;129;R
        Farine de blé T55 1 kg;115;R
        Sucre en poudre 1 kg;149;R
        Sucre en morceaux 1 kg;189;R
        Sel de Guérande 1 kg;259;R
        Huile d'olive vierge extra 75 cl;899;R
        Huile de tournesol 1 L;299;R
        Vinaigre de vin rouge 50 cl;149;R
        Moutarde de Dijon 370 g;229;R
        Mayonnaise 235 g;199;R
        Ketchup 560 g;259;R
        Sauce tomate basilic 420 g;189;R
        Thon entier au naturel 140 g;279;R
        Sardines à l'huile d'olive 135 g;239;R
        Maquereaux au vin blanc 169 g;219;R
        Petits pois carottes 800 g;219;R
        Maïs doux 300 g;129;R
        Soupe de légumes 1 L;249;R
        Café moulu pur arabica 250 g;389;R
        Café en grains 1 kg;1490;R
        Thé vert à la menthe 25 sachets;279;R
        Infusion verveine 20 sachets;219;R
        Chocolat en poudre 800 g;449;R
        Chocolat noir 70 % 100 g;199;R
        Chocolat au lait noisettes 200 g;329;R
        Confiture de fraises 370 g;279;R
        Confiture d'abricots 370 g;279;R
        Miel de fleurs 500 g;689;R
        Pâte à tartiner 400 g;359;R
        Céréales muesli croustillant 500 g;349;R
        Flocons d'avoine 500 g;179;R
        Biscuits petit beurre 200 g;149;R
        Madeleines pur beurre 250 g;239;R
        Galettes bretonnes 130 g;199;R
        Cookies pépites de chocolat 200 g;219;R
        Compote pomme 4x100 g;199;R
        Chips nature 150 g;189;R
        Cacahuètes grillées salées 200 g;219;R
        Olives vertes dénoyautées 160 g;229;R
        Bonbons gélifiés 250 g;239;N
        Caramels au beurre salé 150 g;349;N
        Chewing-gum menthe;159;N
        Pâtes de fruits 200 g;399;N
        Nougat de Montélimar 100 g;389;N
        Cornichons extra-fins 360 g;249;R
        Herbes de Provence 30 g;199;R
        Poivre noir moulu 50 g;249;R
        Bouillon de volaille x10;189;R
        Crêpes dentelle 125 g;259;R
        Amandes décortiquées 200 g;399;R
    """,
    "Boissons": """
        Eau minérale naturelle 1,5 L;65;R
        Eau minérale pack 6x1,5 L;359;R
        Eau gazeuse 1 L;99;R
        Eau gazeuse pack 6x1 L;529;R
        Jus d'orange pur jus 1 L;249;R
        Jus de pomme bio 1 L;279;R
        Nectar multifruit 1 L;179;R
        Jus de raisin 1 L;219;R
        Limonade artisanale 75 cl;229;R
        Cola 1,5 L;219;R
        Cola zéro 1,5 L;219;R
        Thé glacé pêche 1,5 L;199;R
        Sirop de menthe 75 cl;329;R
        Sirop de grenadine 75 cl;329;R
        Boisson énergisante 25 cl;149;R
        Lait demi-écrémé 1 L;115;R
        Lait d'avoine 1 L;219;R
        Bière blonde 6x25 cl;499;N
        Bière blonde 50 cl;189;N
        Bière ambrée artisanale 33 cl;279;N
        Bière blanche 33 cl;229;N
        Cidre brut de Normandie 75 cl;399;N
        Vin rouge Côtes-du-Rhône 75 cl;699;N
        Vin rouge Bordeaux supérieur 75 cl;899;N
        Vin rouge Beaujolais-Villages 75 cl;849;N
        Vin blanc Muscadet 75 cl;649;N
        Vin blanc Chablis 75 cl;1490;N
        Vin rosé de Provence 75 cl;899;N
        Crémant de Loire brut 75 cl;1090;N
        Champagne brut 75 cl;2790;N
        Pastis 70 cl;2290;N
        Whisky blended 70 cl;2190;N
        Rhum ambré 70 cl;2490;N
        Calvados 70 cl;2990;N
        Apéritif à la gentiane 75 cl;1490;N
        Kir cassis 75 cl;599;N
        Eau-de-vie de poire 50 cl;3290;N
        Bière sans alcool 33 cl;159;R
        Jus de tomate 1 L;229;R
        Eau aromatisée citron 1,5 L;119;R
    """,
    "Fruits et légumes": """
        Bananes (le régime);249;R
        Oranges à jus filet 2 kg;399;R
        Citrons jaunes filet 500 g;229;R
        Clémentines filet 1 kg;349;R
        Poires Conférence 1 kg;329;R
        Kiwis barquette 6;249;R
        Fraises barquette 500 g;449;R
        Raisin blanc 500 g;299;R
        Avocats x2;279;R
        Tomates grappe 1 kg;369;R
        Tomates cerises 250 g;229;R
        Concombre pièce;99;R
        Courgettes 1 kg;279;R
        Aubergine pièce;129;R
        Poivrons tricolores x3;299;R
        Carottes sachet 1 kg;149;R
        Pommes de terre filet 2,5 kg;399;R
        Oignons jaunes filet 1 kg;179;R
        Ail violet tête;89;R
        Échalotes filet 500 g;219;R
        Salade batavia pièce;119;R
        Mâche barquette 150 g;199;R
        Champignons de Paris 500 g;249;R
        Poireaux botte;249;R
        Brocoli pièce;199;R
        Chou-fleur pièce;249;R
        Persil plat bouquet;99;R
        Basilic en pot;229;R
        Pêches jaunes 1 kg;399;R
        Abricots 500 g;349;R
        Melon charentais pièce;299;R
        Ananas pièce;279;R
    """,
    "Crèmerie": """
        Beurre doux 250 g;289;R
        Beurre demi-sel 250 g;299;R
        Crème fraîche épaisse 20 cl;159;R
        Crème liquide entière 20 cl;139;R
        Lait entier frais 1 L;139;R
        Yaourts nature x4;149;R
        Yaourts aux fruits x8;279;R
        Fromage blanc 0 % 500 g;199;R
        Petits suisses x6;189;R
        Crème dessert chocolat x4;219;R
        Riz au lait x4;249;R
        Œufs plein air x6;249;R
        Œufs bio x12;499;R
        Camembert de Normandie AOP 250 g;349;R
        Brie de Meaux AOP 200 g;389;R
        Roquefort AOP 100 g;329;R
        Chèvre bûche 180 g;279;R
        Saint-Nectaire AOP 200 g;459;R
        Reblochon de Savoie AOP 450 g;689;R
        Emmental râpé 200 g;219;R
        Mozzarella 125 g;119;R
        Raclette tranches 400 g;599;R
        Jambon blanc 4 tranches;329;R
        Jambon cru 6 tranches;389;R
        Saucisson sec 250 g;449;R
        Rillettes du Mans 220 g;329;R
        Pâté de campagne 200 g;219;R
        Lardons fumés 2x100 g;229;R
        Poulet rôti entier;1190;R
        Quiche lorraine 400 g;449;R
        Pâte feuilletée 230 g;149;R
        Gnocchi frais 500 g;229;R
        Yaourts à boire fraise 6x100 g;259;R
        Tomme de Savoie IGP 250 g;479;R
        Beurre AOP Charentes-Poitou 250 g;349;R
    """,
    "Boulangerie-Snacking": """
        Baguette tradition;130;R
        Pain de campagne 400 g;289;R
        Croissant pur beurre;125;R
        Pain au chocolat;139;R
        Pain de mie complet 500 g;219;R
        Brioche tranchée 500 g;299;R
        Sandwich jambon-beurre;450;I
        Sandwich poulet crudités;520;I
        Croque-monsieur chaud;490;I
        Salade César à emporter;650;I
        Part de pizza chaude;350;I
        Café à emporter;180;I
        Thé à emporter;200;I
        Chocolat chaud à emporter;250;I
        Formule déjeuner sandwich-boisson-dessert;850;I
    """,
    "Hygiène": """
        Savon de Marseille 300 g;299;N
        Gel douche amande 250 ml;249;N
        Shampooing cheveux normaux 300 ml;329;N
        Après-shampooing 200 ml;349;N
        Dentifrice fluoré 75 ml;219;N
        Brosse à dents médium;249;N
        Fil dentaire 50 m;299;N
        Déodorant bille 50 ml;289;N
        Mousse à raser 200 ml;299;N
        Rasoirs jetables x4;449;N
        Coton-tiges x200;169;N
        Disques à démaquiller x80;179;N
        Mouchoirs en papier x10 paquets;199;N
        Papier toilette 6 rouleaux;399;N
        Essuie-tout 2 rouleaux;259;N
        Serviettes hygiéniques x14;299;N
        Tampons normal x16;289;N
        Protège-slips x40;249;N
        Couches bébé taille 4 x28;1290;N
        Lingettes bébé x64;249;N
        Crème pour les mains 75 ml;349;N
        Baume à lèvres;259;N
        Lait corporel 400 ml;449;N
        Eau micellaire 400 ml;499;N
        Coloration châtain;899;N
        Laque fixation forte 300 ml;399;N
        Vernis à ongles rouge;499;N
        Lime à ongles;199;N
        Gel lavant mains 300 ml;229;N
    """,
    "Librairie-Presse": """
        Le Monde;320;S
        Le Figaro;320;S
        Libération;290;S
        L'Équipe;220;S
        Le Progrès;150;S
        Le Parisien;220;S
        Les Échos;340;S
        Le Canard enchaîné;180;S
        Télé 7 Jours;170;S
        Télérama;390;S
        Paris Match;330;S
        Le Point;590;S
        L'Express;590;S
        Marie Claire;290;S
        Géo;790;S
        Science & Vie;590;S
        Le Journal de Mickey;350;S
        Mots fléchés force 2;290;S
        Les Misérables (poche, tome 1);890;R
        Madame Bovary (poche);490;R
        Germinal (poche);590;R
        Le Comte de Monte-Cristo (poche, tome 1);990;R
        Candide (poche);290;R
        Les Fleurs du mal (poche);390;R
        Le Rouge et le Noir (poche);590;R
        Bel-Ami (poche);390;R
        Notre-Dame de Paris (poche);790;R
        Le Tour du monde en 80 jours (poche);490;R
        Guide de Lyon et ses environs;1490;R
        Livre de cuisine lyonnaise;2490;R
        Album à colorier;450;R
        Cahier grands carreaux 96 pages;219;N
        Stylo bille bleu x4;299;N
        Enveloppes x25;249;N
        Carte postale Lyon;90;N
        Carnet de 12 timbres lettre verte;1680;S
    """,
    "Pharmacie-parapharmacie": """
        Paracétamol 500 mg 16 comprimés;195;S
        Paracétamol 1 g 8 comprimés;195;S
        Ibuprofène 200 mg 20 comprimés;235;S
        Sérum physiologique 30 unidoses;299;S
        Solution antiseptique 100 ml;269;S
        Pastilles pour la gorge miel-citron;549;I
        Sirop contre la toux sèche 150 ml;689;I
        Comprimés pour le mal des transports;599;I
        Spray nasal eau de mer 100 ml;619;I
        Vitamine C 1000 mg x20;599;I
        Pansements assortis x40;399;N
        Compresses stériles x10;229;N
        Bande de contention;699;N
        Thermomètre digital;999;N
        Crème solaire SPF 50 200 ml;1290;N
        Après-soleil 200 ml;899;N
        Répulsif anti-moustiques 100 ml;799;N
        Gel hydroalcoolique 100 ml;249;N
        Masques chirurgicaux x10;299;N
        Préservatifs x12;899;N
        Crème hydratante visage 50 ml;1190;N
        Tisane digestion bio 20 sachets;449;R
    """,
    "Maison": """
        Liquide vaisselle citron 500 ml;199;N
        Tablettes lave-vaisselle x30;699;N
        Lessive liquide 2 L;899;N
        Adoucissant 1,5 L;349;N
        Eau de Javel 1 L;149;N
        Nettoyant multi-usages 750 ml;299;N
        Nettoyant vitres 500 ml;279;N
        Vinaigre ménager 1 L;199;N
        Éponges grattantes x3;169;N
        Sacs poubelle 30 L x20;249;N
        Papier aluminium 20 m;299;N
        Film étirable 30 m;229;N
        Sacs congélation x40;249;N
        Allumettes x4 boîtes;149;N
        Bougies chauffe-plat x30;399;N
        Piles alcalines AA x4;599;N
        Piles alcalines AAA x4;599;N
        Ampoule LED E27;499;N
        Briquet;150;N
        Gants de ménage taille M;249;N
        Serpillière microfibre;399;N
        Filtres à café n°4 x80;149;N
        Torchon coton;499;N
        Charbon de bois 3 kg;799;N
        Bois de chauffage 15 kg;1290;I
        Croquettes pour chat 2 kg;999;N
        Pâtée pour chien 1,2 kg;449;N
        Litière minérale 10 L;599;N
        Ampoule LED GU10;599;N
        Désodorisant lavande 300 ml;299;N
    """,
}

SKU_PREFIX = {
    "Épicerie": "EPI", "Boissons": "BOI", "Fruits et légumes": "FEL", "Crèmerie": "CRE",
    "Boulangerie-Snacking": "BOU", "Hygiène": "HYG", "Librairie-Presse": "LIB",
    "Pharmacie-parapharmacie": "PHA", "Maison": "MAI",
}

WEIGHED = (
    # name, price per kg in cents, VAT code, category, item digits of the scale code
    ("Pommes Gala (au kg)", 299, "R", "Fruits et légumes", "00001"),
    ("Comté AOP 18 mois (au kg)", 2490, "R", "Crèmerie", "00002"),
)
SCALE_PREFIX = "21"
"""The scales print weight labels with prefix 21 (see ``[[scanning.price_codes]]``)."""

CATEGORY_RETURN_DAYS = {"Fruits et légumes": 0, "Crèmerie": 0, "Boulangerie-Snacking": 0, "Librairie-Presse": 7,
                        "Pharmacie-parapharmacie": 0}
"""Perishables and medicines are not taken back (0 days); the rest follows the shop's policy."""

FIRST_NAMES = (
    "Hélène", "Jérôme", "Loïc", "Françoise", "Zoë", "Amélie", "Benoît", "Cécile", "Chloé", "Clément",
    "Émilie", "Éric", "Gaëlle", "Gaëtan", "Inès", "Joël", "Léa", "Léon", "Maël", "Noémie",
    "Raphaël", "Séverine", "Stéphane", "Thérèse", "Valérie", "Anaïs", "Aurélien", "Céline", "Frédéric",
    "Jérémy", "Mélanie", "Ophélie", "Rémi", "Sébastien", "Agnès", "Béatrice", "Lætitia", "Noël",
    "Camille", "Lucas", "Manon", "Hugo", "Julie", "Thomas", "Sarah", "Nicolas", "Pauline", "Antoine",
    "Laura", "Maxime", "Claire", "Julien", "Marie", "Pierre", "Sophie", "Paul", "Emma", "Louis",
    "Alice", "Arthur",
)
LAST_NAMES = (
    "Lefèvre", "Bénard", "Ménard", "Hébert", "Gérard", "Lemaître", "Chrétien", "Béranger", "Prévost",
    "Le Gall", "Le Goff", "Brûlé", "Besançon", "Dupré", "Fabre", "Garnier", "Rousseau", "Faure",
    "Mercier", "Boyer", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin",
    "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Denis", "Lemoine", "Bertin", "D'Almeida", "Saint-Gérand", "Meunier", "Bonnet",
    "Lambert", "Dupont", "Fournier", "Morel", "Girard", "Roux", "Vincent", "Laurent", "Simon",
    "Moreau", "Leroy", "Petit", "Richard", "Bernard", "Dubois",
)
MAIL_DOMAINS = ("example.com", "example.org", "example.net")
"""Reserved domains (RFC 2606): a demo never mails a real person."""
