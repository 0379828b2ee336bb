"""Hypothesis strategies of text shared by the text stage's tests."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["ALPHABET", "TEXTS"]

# Text that exercises the tokenizer: ASCII words and punctuation, accents,
# combining marks, ligatures and full-width forms (NFKC), CJK, Thai, emoji,
# German sharp s (casefold), and every kind of whitespace.
ALPHABET = st.sampled_from(
    list("abcXYZ019 .,;'\"-_\n\t") + ["é", "e\u0301", "ﬁ", "Ａ", "ß", "Σ", "ς", "中", "文", "ก", "\u0e31", "😀",
                                      "\u00a0", "\u2009", "’", "½", "क", "\u093f", "\ufeff", "ǅ", "\u0344",
                                      "ᄀ", "\u1161", "\u11a8", "한", "\u0b3e", "ୋ", "İ", "ﬀ", "\u0345", "ΐ"]
) | st.characters()
TEXTS = st.lists(ALPHABET, max_size=80).map("".join)
