import numpy as np
from sklearn.metrics.pairwise import rbf_kernel

from comptoir.understanding.model import Models, embed_inputs, kernel_features, softmax
from comptoir.understanding.train.fit import KERNEL_CENTRES, KERNEL_MAPS, KernelMap


def test_kernel_features_are_the_rbf_kernel_of_the_standardised_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 5))
    centres = rng.normal(size=(4, 5))
    mean, scale = rng.normal(size=5), rng.uniform(0.5, 2.0, size=5)
    got = kernel_features(x, mean, scale, centres, 0.3)
    assert np.allclose(got, rbf_kernel((x - mean) / scale, centres, gamma=0.3))
    assert got.shape == (7, 4) and (got > 0).all() and (got <= 1).all()


def test_the_kernel_map_whitens_the_centres_so_features_reproduce_the_kernel():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(loc=c, size=(40, 6)) for c in (-2.0, 0.0, 2.0)])
    kmap = KernelMap.fit(x, n_centres=12)
    assert kmap.centres.shape[1] == 6 and 1 <= len(kmap.centres) <= 12
    # Nyström is exact on its own centres: phi(a)·phi(b) = K(a, b) for any two centres.
    raw_centres = kmap.centres * kmap.scale + kmap.mean
    phi = kmap.features(raw_centres)
    exact = kernel_features(raw_centres, kmap.mean, kmap.scale, kmap.centres, kmap.gamma)
    assert np.allclose(phi @ phi.T, exact, atol=1e-6)
    # Elsewhere it approximates the kernel, never exceeding it (a projection onto the centres' span).
    phi_x = kmap.features(x)
    assert ((phi_x * phi_x).sum(axis=1) <= 1.0 + 1e-9).all()


def test_a_constant_input_column_does_not_divide_by_zero():
    x = np.ones((20, 3))
    x[:, 0] = np.arange(20)
    kmap = KernelMap.fit(x, n_centres=50)  # more centres asked for than the rows can fill
    assert 1 <= len(kmap.centres) <= 20 // 3
    assert np.isfinite(kmap.features(x)).all()


def test_every_centre_stands_for_several_texts_never_for_one():
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(size=(60, 4)), [[40.0, 40.0, 40.0, 40.0]]])  # one far outlier
    kmap = KernelMap.fit(x, n_centres=10)
    outlier = (x[-1] - kmap.mean) / kmap.scale
    assert np.linalg.norm(kmap.centres - outlier, axis=1).min() > 1.0


def test_another_seed_gives_another_map_of_the_same_data():
    rng = np.random.default_rng(4)
    x = np.vstack([rng.normal(loc=c, size=(50, 5)) for c in (-3.0, 0.0, 3.0)])
    a, b = KernelMap.fit(x, n_centres=9, seed=13), KernelMap.fit(x, n_centres=9, seed=14)
    assert np.array_equal(a.mean, b.mean) and np.array_equal(a.scale, b.scale) and a.gamma == b.gamma
    assert a.centres.shape != b.centres.shape or not np.allclose(a.centres, b.centres)
    assert np.array_equal(KernelMap.fit(x, n_centres=9, seed=13).centres, a.centres)


def test_two_texts_still_give_a_usable_map():
    kmap = KernelMap.fit(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert len(kmap.centres) == 1
    assert np.isfinite(kmap.features(np.zeros((1, 2)))).all()


def test_the_committed_embedding_pass_is_a_kernel_over_the_stored_centres():
    models = Models()
    assert models.centres.shape[0] == models.embed_w.shape[0]
    assert models.gamma > 0
    probs = models.embed_probs(np.zeros((2, 384), dtype=np.float32), ["Merci !", "Nul."])
    for p in probs.values():
        assert np.allclose(p.sum(axis=1), 1.0)


def test_the_embedding_pass_is_the_mean_of_the_heads_of_several_kernel_maps():
    models = Models()
    offsets = models.offsets
    maps = len(offsets) - 1
    assert maps == KERNEL_MAPS and offsets[0] == 0 and offsets[-1] == len(models.centres)
    assert (np.diff(offsets) >= KERNEL_CENTRES * 0.9).all()  # each map keeps most of its centres
    assert models.embed_b.shape == (maps, models.embed_w.shape[1])
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ["Merci pour votre aide !", "Toujours pas de réponse, c'est honteux.", "RDV jeudi 18h."]
    k = kernel_features(
        embed_inputs(vectors, texts), models.embed_mean, models.embed_scale, models.centres, models.gamma
    )
    sentiment = models.heads["sentiment"]
    cols = slice(sentiment.start, sentiment.stop)
    one_map = [
        softmax(
            k[:, offsets[j] : offsets[j + 1]] @ models.embed_w[offsets[j] : offsets[j + 1], cols]
            + models.embed_b[j, cols]
        )
        for j in range(maps)
    ]
    # The maps are different models (other centres, other heads) that mostly agree …
    assert not np.allclose(one_map[0], one_map[1])
    assert (one_map[0].argmax(axis=1) == one_map[1].argmax(axis=1)).mean() >= 2 / 3
    # … and the embedding pass gives their mean.
    assert np.allclose(models.embed_probs(vectors, texts)["sentiment"], np.mean(one_map, axis=0))
