"""Filler prose and fictional names from a small built-in grammar (no third-party text)."""

from __future__ import annotations

import random

SUBJECTS = ("the old keeper", "a patient gardener", "the river pilot", "every clerk",
            "the quiet archivist", "a travelling weaver", "the harbour master", "our neighbour",
            "the young surveyor", "a careful miller", "the choir", "the night watch",
            "the ferryman", "a stubborn goat", "the baker's apprentice", "the lamplighter")
VERBS = ("walked past", "painted", "measured", "forgot", "repaired", "described",
         "admired", "counted", "carried", "mended", "watched", "followed", "sketched",
         "polished", "questioned", "remembered")
OBJECTS = ("the crooked bridge", "a basket of pears", "the northern orchard", "the long letter",
           "an empty lantern", "the market square", "the copper kettle", "a wooden map",
           "the winter garden", "the salt road", "a bundle of reeds", "the tall clock",
           "the silent mill", "a green umbrella", "the stone steps", "the lighthouse")
ADVERBIALS = ("before the rain came", "while the bells rang", "in the late afternoon",
              "without a word", "as the tide turned", "under a grey sky", "after supper",
              "for no clear reason", "with great care", "at the edge of town",
              "during the long festival", "once the fog lifted", "", "", "", "")
CONNECTIVES = ("Later,", "Meanwhile,", "Even so,", "By then,", "Still,", "Afterwards,",
               "", "", "", "")
SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "va", "sel", "dun", "bri", "osk", "pel", "zar",
             "quin", "ha", "mo", "tel", "vik", "ara", "eth", "ul")
COLOURS = ("amber", "cobalt", "crimson", "ivory", "jade", "ochre", "russet", "scarlet",
           "silver", "teal", "umber", "violet", "saffron", "slate", "olive", "coral")
CREATURES = ("falcon", "heron", "lynx", "otter", "badger", "marten", "plover", "stoat",
             "wren", "ibex", "gecko", "hare", "kestrel", "newt", "osprey", "vole")
POOL_SIZE = 4096


def sentence(rng: random.Random) -> str:
    """One sentence of filler; never a digit, so needles are the only numbers."""
    words = [rng.choice(CONNECTIVES), rng.choice(SUBJECTS), rng.choice(VERBS),
             rng.choice(OBJECTS), rng.choice(ADVERBIALS)]
    text = " ".join(w for w in words if w)
    return text[0].upper() + text[1:] + "."


def filler(rng: random.Random, chars: int) -> list[str]:
    """Sentences adding up to about ``chars`` characters (with one space between each)."""
    pool = [sentence(rng) for _ in range(POOL_SIZE)]
    average = sum(len(s) + 1 for s in pool) / len(pool)
    return rng.choices(pool, k=max(1, round(chars / average)))


def name(rng: random.Random, parts: int = 2) -> str:
    """A fictional proper name such as "Kalotor"."""
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def key(rng: random.Random) -> str:
    """A needle key such as "cobalt-heron"."""
    return f"{rng.choice(COLOURS)}-{rng.choice(CREATURES)}"
