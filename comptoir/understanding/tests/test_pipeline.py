import subprocess
import sys
import threading
from pathlib import Path

import pytest

from comptoir.understanding import pipeline
from comptoir.understanding.pipeline import Analysis, analyse, analyse_many


def test_it_flags_an_obvious_french_insult_as_toxic():
    a = analyse("Espèce de connard, tu sers à rien.")
    assert a.toxicity == "toxic"
    assert a.toxicity_category == "insult"
    assert a.lang == "fr"


def test_it_files_a_death_threat_under_threat():
    a = analyse("Je vais te buter si tu supprimes encore mon commentaire.")
    assert (a.toxicity, a.toxicity_category) == ("toxic", "threat")


def test_it_reads_a_membership_request():
    a = analyse("Je veux adhérer à l'association, comment faire ?")
    assert a.intent == "membership"
    assert a.complaint == "other"
    assert a.toxicity == "clean"
    assert "adhérer" in a.topics


def test_it_reads_a_late_order_as_a_negative_complaint():
    a = analyse("Toujours pas reçu ma commande, c'est inadmissible")
    assert a.complaint == "complaint"
    assert a.intent == "complaint"
    assert a.sentiment == "negative"
    assert a.toxicity == "clean"


def test_it_reads_an_english_complaint_to_a_brand():
    a = analyse("@AcmeHelp third time my parcel is lost, nobody answers my emails. Really fed up.")
    assert (a.lang, a.complaint, a.sentiment) == ("en", "complaint", "negative")


def test_it_reads_thanks_as_positive_praise():
    a = analyse("Un grand merci aux bénévoles pour la fête de quartier, c'était génial !")
    assert (a.sentiment, a.intent, a.complaint) == ("positive", "praise", "other")


def test_it_hears_a_buying_signal():
    a = analyse("Vous faites des devis pour 300 t-shirts imprimés avec notre logo ?")
    assert a.intent == "purchase"


def test_it_flags_text_message_spam_and_gives_it_no_intent():
    a = analyse("WINNER!! You have been selected to receive a £900 prize. Call 09061701461 to claim now")
    assert a.spam == "spam"
    assert a.intent == "other"
    assert a.complaint == "other"


def test_it_does_not_call_an_angry_but_polite_customer_toxic():
    a = analyse("Votre service client est une catastrophe, je suis très déçu.")
    assert a.toxicity == "clean"
    assert a.sentiment == "negative"


def test_fast_mode_never_runs_the_embedding_model():
    results = analyse_many(["Bonjour, vous ouvrez à quelle heure samedi ?", "hmm"], fast=True)
    assert [a.used_embeddings for a in results] == [False, False]


def test_owned_channels_always_run_the_embedding_model():
    results = analyse_many(["Merci pour tout !", "Great job, thanks"], owned=True)
    assert all(a.used_embeddings for a in results)


def test_an_unsure_fast_pass_escalates_and_a_sure_one_does_not():
    sure, unsure = analyse_many(["Toujours pas reçu ma commande, c'est inadmissible", "bof"])
    assert unsure.used_embeddings
    assert sure.used_embeddings is False


def test_empty_text_gets_neutral_defaults_and_the_channel_language():
    a = analyse("   ", fallback_lang="fr")
    assert (a.lang, a.sentiment, a.toxicity, a.spam, a.complaint, a.intent, a.topics) == (
        "fr",
        "neutral",
        "clean",
        "ham",
        "other",
        "other",
        [],
    )
    assert analyse("").lang == "und"


def test_a_short_text_takes_the_channel_language():
    assert analyse("Merci !", fallback_lang="fr", fast=True).lang == "fr"
    assert analyse("ok top", fallback_lang="en", fast=True).lang == "en"


def test_a_long_clear_text_keeps_its_own_language_whatever_the_channel():
    a = analyse(
        "Where is my parcel? I ordered it two weeks ago and nothing has arrived yet.",
        fallback_lang="fr",
        fast=True,
    )
    assert a.lang == "en"


def test_emoji_only_text_is_analysed_without_error():
    a = analyse("😀😀🎉", fallback_lang="fr")
    assert a.lang == "fr"
    assert a.topics == []


def test_a_huge_text_is_analysed_quickly_on_its_beginning():
    a = analyse("Le service est lent. " * 5000)
    assert a.lang == "fr"
    assert isinstance(a.scores["sentiment"], float)


def test_batches_keep_order_and_length():
    texts = ["Je veux adhérer", "", "You are a stupid idiot", "Merci beaucoup !"]
    results = analyse_many(texts, fast=True)
    assert len(results) == 4
    assert results[1].intent == "other" and results[1].scores == {}
    assert results[2].toxicity == "toxic"
    assert [r.topics for r in results] == [analyse(t, fast=True).topics for t in texts]


def test_to_dict_has_every_field_and_scores_are_probabilities():
    d = analyse("Bonjour, quels sont vos horaires ?", fast=True).to_dict()
    assert set(d) == {f for f in Analysis.__dataclass_fields__}
    assert d["model_version"] == pipeline.MODEL_VERSION
    for key, value in d["scores"].items():
        low = -1.0 if key == "sentiment" else 0.0
        assert low <= value <= 1.0, key
    assert abs(sum(v for k, v in d["scores"].items() if k.startswith("sentiment_")) - 1.0) < 1e-3


def test_concurrent_threads_get_the_same_answers_as_one_thread():
    texts = [
        "Toujours pas reçu ma commande",
        "Merci pour tout",
        "How much is the premium plan?",
        "Sale con",
    ] * 4
    expected = [a.to_dict() for a in analyse_many(texts)]
    got: dict[int, list] = {}

    def work(i):
        got[i] = [a.to_dict() for a in analyse_many(texts)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got[i] == expected for i in range(4))


@pytest.mark.parametrize("module", ["pipeline", "cli", "train"])
def test_it_imports_without_django(module):
    code = f"import sys; import comptoir.understanding.{module}; assert 'django' not in sys.modules, 'django imported'"
    repo = Path(__file__).resolve().parents[3]
    env = {"PATH": "/usr/bin:/bin"}  # and no DJANGO_SETTINGS_MODULE
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=repo, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
