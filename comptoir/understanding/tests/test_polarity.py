import numpy as np
import pytest

from comptoir.understanding import polarity
from comptoir.understanding.model import Models, embed_inputs


def compound(text: str) -> tuple[float, float]:
    row = polarity.features([text])[0]
    return float(row[polarity.NAMES.index("en_compound")]), float(row[polarity.NAMES.index("fr_compound")])


def test_english_words_carry_their_tone_and_negation_flips_it():
    assert compound("What a wonderful, friendly team!")[0] > 0.5
    assert compound("This is awful, I hate it.")[0] < -0.5
    assert compound("not good at all")[0] < 0 < compound("good")[0]


def test_french_words_are_read_with_the_french_lexicon():
    assert compound("C'est génial, merci beaucoup !")[1] > 0.3
    assert compound("Quelle horreur, service déplorable.")[1] < -0.3
    # The English lexicon knows nothing of French.
    assert compound("service déplorable")[0] == 0


def test_emoji_count_in_both_languages():
    en, fr = compound("😍😍")
    assert en > 0 and fr > 0


@pytest.mark.parametrize("text", ["", "   ", "🙂" * 5000, "x" * 100_000, "\x00\x01<script>alert(1)</script>", "#@!?"])
def test_odd_texts_give_six_bounded_numbers(text):
    row = polarity.features([text])[0]
    assert row.shape == (polarity.DIM,)
    assert np.isfinite(row).all()
    assert (np.abs(row) <= 1).all()


def test_no_text_no_rows():
    assert polarity.features([]).shape == (0, polarity.DIM)


def test_the_embedding_heads_read_the_embedding_then_the_polarity():
    vectors = np.zeros((2, 384), dtype=np.float32)
    x = embed_inputs(vectors, ["Super !", "Nul."])
    assert x.shape == (2, 384 + polarity.DIM)
    models = Models()
    assert models.centres.shape[1] == models.embed_mean.shape[0] == x.shape[1]
