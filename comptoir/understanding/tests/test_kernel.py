import numpy as np
from sklearn.metrics.pairwise import rbf_kernel

from comptoir.understanding.model import Models, kernel_features
from comptoir.understanding.train import KernelMap


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
