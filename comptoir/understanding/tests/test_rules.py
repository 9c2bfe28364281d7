import numpy as np
import pytest

from comptoir.understanding import intent, lang, lexicons, topics


def idf(_word: str) -> float:
    return 1.0


def test_topics_cut_french_elisions_and_drop_stop_words():
    found = topics.extract("L’équipe d’animation qu’on a rencontrée jusqu'à l'été, j'adore", idf)
    assert "équipe animation" in found
    assert not any(w in {"l", "d", "qu", "on", "a", "jusqu", "j"} for phrase in found for w in phrase.split())


def test_topics_drop_english_contractions_and_keep_possessed_nouns():
    found = topics.extract("I don't like the company's new pricing", idf)
    assert found == ["company new pricing"]


def test_topics_take_hashtags_alone_and_skip_urls_and_mentions():
    found = topics.extract("@Acme #fibre toujours en panne https://example.org/x", idf)
    assert "fibre" in found
    assert not any("acme" in t or "example" in t for t in found)


def test_topics_prefer_rare_words():
    rare = {"tramway": 9.0}
    found = topics.extract("Le tramway et le bus", lambda w: rare.get(w, 1.0), k=1)
    assert found == ["tramway"]


def test_language_of_a_mixed_message_is_the_channel_language():
    text = "Super meeting hier, merci à tous for the great job guys"
    assert lang.detect(text, "fr")[0] == "fr"
    assert lang.detect(text, "en")[0] == "en"


def test_language_without_letters_is_undetermined_unless_the_channel_says():
    assert lang.detect("👍👍 !!!")[0] == "und"
    assert lang.detect("12/04 👍", "en")[0] == "en"


def test_language_of_a_clear_german_text_is_german():
    assert lang.detect("Ich möchte meine Bestellung stornieren, bitte helfen Sie mir", "fr")[0] == "de"


@pytest.mark.parametrize(
    ("declared", "text", "kept"),
    [
        ("en", "Toujours pas reçu ma commande, le service client ne répond pas depuis une semaine.", "fr"),
        ("fr", "Still no answer from customer service, I have been waiting for a week now.", "en"),
        ("fr", "Toujours pas reçu ma commande, le service client ne répond pas.", "fr"),
        ("pt-BR", "ok 👍", "pt-BR"),  # too short to be sure: the declaration stands
        ("en", "Super meeting hier, merci à tous for the great job guys", "en"),  # mixed: the declaration stands
        ("", "Toujours pas reçu ma commande.", ""),
    ],
)
def test_a_declared_language_stands_unless_detection_is_sure_of_another(declared, text, kept):
    assert lang.checked(declared, text) == kept


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Je vais te retrouver et te casser la gueule", "threat"),
        ("I'm gonna kill you", "threat"),
        ("Sale arabe, rentre chez toi", "hate"),
        ("go back to your country", "hate"),
        ("Pauvre conne", "insult"),
        ("you stupid moron", "insult"),
        ("putain de bordel", "obscene"),
        ("f*ck this", "obscene"),
        ("quelque chose de méchant sans mot-clé", "insult"),
    ],
)
def test_toxicity_categories(text, category):
    assert lexicons.category(text) == category


def test_a_late_train_is_not_hate_speech():
    assert "hate" not in lexicons.matches("Train en retard, encore")


def test_intent_rules_fire_on_their_cues():
    assert intent.rule_hits("Combien coûte le devis ?") >= {"purchase", "question"}
    assert "membership" in intent.rule_hits("Comment renouveler mon adhésion")
    assert "praise" in intent.rule_hits("Bravo à toute l'équipe")
    assert intent.rule_hits("Le bus passe à 8h") == set()


def test_a_complaint_wins_over_every_other_intent():
    probs = np.array([0.0, 0.9, 0.1, 0.0, 0.0, 0.0])
    assert intent.decide("Je veux adhérer mais personne ne répond !", probs, True)[0] == "complaint"


def test_rules_break_a_tie_but_do_not_overrule_a_confident_model():
    tie = np.array([0.0, 0.3, 0.3, 0.0, 0.3, 0.1])
    assert intent.decide("Le prix svp", tie, False, 0.15)[0] == "purchase"
    sure = np.array([0.0, 0.9, 0.05, 0.0, 0.05, 0.0])
    assert intent.decide("Quel est le prix de l'adhésion ?", sure, False, 0.15)[0] == "membership"
