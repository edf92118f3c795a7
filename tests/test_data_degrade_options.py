import numpy as np
import pytest

from genvid.data.degrade_options import (happens, log_uniform, new_seed, pick, read_options, read_prob, read_range,
                                         read_weights, uniform, uniform_int)
from genvid.errors import GenvidError


def test_read_options_merges_over_defaults_and_names_unknown_keys():
    assert read_options({"b": 3}, {"a": 1, "b": 2}, "x") == {"a": 1, "b": 3}
    assert read_options(None, {"a": 1}, "x") == {"a": 1}
    with pytest.raises(GenvidError, match=r"unknown degradation option\(s\) c in 'x'; known: a, b"):
        read_options({"c": 0}, {"a": 1, "b": 2}, "x")
    with pytest.raises(GenvidError, match="must be a mapping"):
        read_options([1], {"a": 1}, "x")


def test_read_range_and_prob():
    assert read_range([1, 2], "r", 0, 5) == (1.0, 2.0)
    assert read_range(3, "r", 0, 5) == (3.0, 3.0)
    for bad in ([2, 1], [0, 9], "1", [1], [True, 2]):
        with pytest.raises(GenvidError, match="'r'"):
            read_range(bad, "r", 0, 5)
    assert read_prob(0.5, "p") == 0.5
    with pytest.raises(GenvidError, match="probability"):
        read_prob(1.5, "p")


def test_read_weights_normalises_lists_and_mappings():
    assert read_weights(["a", "b"], "w", ("a", "b", "c")) == {"a": 0.5, "b": 0.5}
    assert read_weights({"a": 3, "b": 1, "c": 0}, "w", ("a", "b", "c")) == {"a": 0.75, "b": 0.25}
    assert read_weights("c", "w", ("a", "b", "c")) == {"c": 1.0}
    with pytest.raises(GenvidError, match="unknown choice"):
        read_weights(["d"], "w", ("a",))
    with pytest.raises(GenvidError, match="positive sum"):
        read_weights({"a": 0}, "w", ("a",))


def test_draws_are_deterministic_and_in_bounds():
    def draws(seed):
        rng = np.random.default_rng(seed)
        return [pick(rng, {"a": 0.3, "b": 0.7}), uniform(rng, (1, 2)), log_uniform(rng, (10, 1000)),
                uniform_int(rng, (3, 5)), happens(rng, 0.5), new_seed(rng)]
    assert draws(1) == draws(1) and draws(1) != draws(2)
    rng = np.random.default_rng(0)
    assert all(10 <= log_uniform(rng, (10, 1000)) <= 1000 for _ in range(100))
    assert {uniform_int(rng, (3, 5)) for _ in range(100)} == {3, 4, 5}
    state = rng.bit_generator.state
    assert happens(rng, 1.0) and not happens(rng, 0.0) and uniform(rng, (2, 2)) == 2
    assert rng.bit_generator.state == state  # certain answers draw nothing
