"""Understanding: what a message says (language, sentiment, toxicity, spam, complaint, intent,
topics), in French and English. The entry points are ``pipeline.analyse_many`` and the commands
in ``cli``; see MODEL_CARD.md at the repository root for the models and their scores.

Nothing here imports Django: the commands run without settings.
"""
