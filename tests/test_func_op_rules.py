"""vmap through the engine's ops (func/op_rules.py): every op of the registry under vmap, called as
the registry calls it (functional forms included), against a Python loop of the op over the batch;
nn models' per-sample gradients in the style of PyTorch's per-sample-gradient and ensembling
tutorials, against a loop and against torch.func."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import func, nn
from tinygrad_edu.func import OP_RULES, BatchingFallbackWarning
from tinygrad_edu.nn import functional as F
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, sample_values

BATCH = 3
# ops that still run once per sample: in-place writes and boolean masks (the sample decides the
# result's shape), and dropout (random)
LOOPED = {"getitem_bool_mask", "setitem", "inplace_arithmetic", "scatter", "index_add", "dropout"}


def _batched_inputs(info, shapes, rng):
    """BATCH samples of each input, drawn in the op's domain, stacked on a new first axis."""
    draws = [sample_values(info, shapes, rng) for _ in range(BATCH)]
    return [np.stack([d[i] for d in draws]) for i in range(len(shapes))]


@pytest.mark.parametrize("info", [i for i in REGISTRY if i.name not in LOOPED], ids=lambda info: info.name)
def test_every_op_batches_without_a_loop_and_equals_the_loop(info):
    rng = np.random.default_rng(0)
    for shapes, kwargs in all_cases(info)[:3]:
        fn = bind(info, kwargs)
        arrays = _batched_inputs(info, shapes, rng)
        looped = np.stack([fn(*(tg.tensor(a[b]) for a in arrays)).numpy() for b in range(BATCH)])
        for in_dims in [0, (0,) + (None,) * (len(arrays) - 1)]:
            inputs = [tg.tensor(a) if d == 0 else tg.tensor(a[1]) for a, d in
                      zip(arrays, in_dims if isinstance(in_dims, tuple) else (0,) * len(arrays))]
            expected = looped if in_dims == 0 else np.stack(
                [fn(tg.tensor(arrays[0][b]), *inputs[1:]).numpy() for b in range(BATCH)])
            with warnings.catch_warnings():
                warnings.simplefilter("error", BatchingFallbackWarning)
                batched = func.vmap(fn, in_dims=in_dims)(*inputs)
            np.testing.assert_allclose(batched.numpy(), expected, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{info.name} {shapes} {kwargs} in_dims={in_dims}")


@pytest.mark.parametrize("info", [i for i in REGISTRY if i.name not in LOOPED], ids=lambda info: info.name)
def test_every_op_batches_under_nested_vmaps_with_inputs_at_different_levels(info):
    """vmap(vmap(op)) over a (2, 3) batch; then the other inputs unbatched, and batched at the
    outer level only (the op meets operands batched at different levels)."""
    rng = np.random.default_rng(1)
    shapes, kwargs = all_cases(info)[0]
    fn = bind(info, kwargs)
    draws = [[sample_values(info, shapes, rng) for _ in range(3)] for _ in range(2)]
    arrays = [np.stack([np.stack([d[i] for d in row]) for row in draws]) for i in range(len(shapes))]
    first, rest = arrays[0], arrays[1:]
    layouts = [(tuple(arrays), 0, 0, lambda o, b: [a[o, b] for a in arrays])]
    if rest:
        inner_only = (0,) + (None,) * len(rest)
        layouts += [((first, *(a[0, 0] for a in rest)), inner_only, inner_only,
                     lambda o, b: [first[o, b], *(a[0, 0] for a in rest)]),
                    ((first, *(a[:, 0] for a in rest)), 0, inner_only,
                     lambda o, b: [first[o, b], *(a[o, 0] for a in rest)])]
    for inputs, outer, inner, sample in layouts:
        expected = np.stack([np.stack([fn(*map(tg.tensor, sample(o, b))).numpy() for b in range(3)]) for o in range(2)])
        with warnings.catch_warnings():
            warnings.simplefilter("error", BatchingFallbackWarning)
            got = func.vmap(func.vmap(fn, in_dims=inner), in_dims=outer)(*map(tg.tensor, inputs))
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12, err_msg=f"{outer} {inner}")


@pytest.mark.parametrize("name", sorted(LOOPED - {"dropout"}))
def test_ops_without_a_rule_still_give_the_loops_result(name):
    info = next(i for i in REGISTRY if i.name == name)
    rng = np.random.default_rng(1)
    shapes, kwargs = all_cases(info)[0]
    fn = bind(info, kwargs)
    arrays = _batched_inputs(info, shapes, rng)
    expected = [fn(*(tg.tensor(a[b]) for a in arrays)).numpy() for b in range(BATCH)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchingFallbackWarning)
        if name == "getitem_bool_mask":  # samples of different lengths cannot be stacked
            for b in range(BATCH):
                np.testing.assert_allclose(func.vmap(fn)(tg.tensor(arrays[0][b:b + 1]))[0].numpy(), expected[b])
            return
        batched = func.vmap(fn)(*(tg.tensor(a) for a in arrays))
    np.testing.assert_allclose(batched.numpy(), np.stack(expected), rtol=1e-12)


def test_every_engine_op_with_a_rule_is_a_function_subclass_and_the_rules_cover_the_forward_ops():
    engine_ops = {cls for cls in _subclasses(tg.autograd.Function) if cls.__module__.startswith("tinygrad_edu.ops")}
    backward_only = {"MaxPool2dBackward", "SetItem"}  # reached from backward passes and in-place writes only
    assert set(OP_RULES) <= engine_ops
    assert {cls.__name__ for cls in engine_ops - set(OP_RULES)} == backward_only


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_cross_entropy_per_sample_with_weights_ignore_index_and_each_reduction():
    rng = np.random.default_rng(2)
    logits = tg.tensor(rng.standard_normal((4, 5, 3)))
    target = tg.tensor(rng.integers(0, 3, (4, 5)))
    target[1, 2] = -100
    target[2, :] = 1
    weight = tg.tensor([0.2, 1.0, 3.0])
    for kwargs in [{}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": weight}, {"ignore_index": 1},
                   {"weight": weight, "reduction": "sum"}]:
        labels = target.clamp(0, None) if "ignore_index" in kwargs else target  # -100 is a class index then
        fn = lambda z, t: F.cross_entropy(z, t, **kwargs)  # noqa: E731
        expected = np.stack([fn(logits[b], labels[b]).numpy() for b in range(4)])
        with warnings.catch_warnings():
            warnings.simplefilter("error", BatchingFallbackWarning)
            np.testing.assert_allclose(func.vmap(fn)(logits, labels).numpy(), expected, rtol=1e-12, err_msg=str(kwargs))
    with pytest.raises(IndexError, match="cross_entropy: target 7 is out of bounds for 3 classes"):
        func.vmap(F.cross_entropy)(logits, target * 0 + 7)


class Net(nn.Module):
    """The convolutional network of PyTorch's per-sample-gradients tutorial, smaller."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 6, 3, 1)
        self.fc1 = nn.Linear(6 * 2 * 2, 8)
        self.fc2 = nn.Linear(8, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = tg.flatten(x, 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def _per_sample_setup():
    tg.manual_seed(0)
    model = Net().to(tg.float64)
    rng = np.random.default_rng(3)
    data, targets = rng.standard_normal((6, 1, 8, 8)), rng.integers(0, 5, 6)
    return model, data, targets


def test_per_sample_gradients_of_a_cnn_in_the_tutorials_style_equal_a_loop():
    model, data, targets = _per_sample_setup()
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        predictions = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return F.nll_loss(predictions, target.unsqueeze(0))

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        grads = func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, tg.tensor(data), tg.tensor(targets))
    for i in range(len(data)):
        model.zero_grad()
        F.nll_loss(model(tg.tensor(data[i:i + 1])), tg.tensor(targets[i:i + 1])).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(grads[name][i].numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_per_sample_gradients_of_a_cnn_match_torch_func():
    torch = pytest.importorskip("torch")
    model, data, targets = _per_sample_setup()

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = torch.nn.Conv2d(1, 4, 3, 1), torch.nn.Conv2d(4, 6, 3, 1)
            self.fc1, self.fc2 = torch.nn.Linear(6 * 2 * 2, 8), torch.nn.Linear(8, 5)

        def forward(self, x):
            x = torch.relu(self.conv1(x))
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            return torch.log_softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)

    reference = TorchNet().double()
    reference.load_state_dict(tg.to_torch(model.state_dict()))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(params, sample, target):
        return F.cross_entropy(func.functional_call(model, params, (sample.unsqueeze(0),)), target.unsqueeze(0))

    def torch_loss(params, sample, target):
        out = torch.func.functional_call(reference, params, (sample.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(out, target.unsqueeze(0))

    ours = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, tg.tensor(data), tg.tensor(targets))
    theirs = torch.func.vmap(torch.func.grad(torch_loss), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in reference.named_parameters()}, torch.tensor(data), torch.tensor(targets))
    for name in params:
        np.testing.assert_allclose(ours[name].numpy(), theirs[name].numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_an_ensemble_of_models_runs_as_one_vmap_over_stacked_weights():
    """PyTorch's model-ensembling tutorial: vmap over stacked parameters (batched weights)."""
    tg.manual_seed(1)
    models = [nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)).to(tg.float64) for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    x = tg.tensor(np.random.default_rng(4).standard_normal((7, 3)))

    def fmodel(params, buffers, xs):
        return func.functional_call(models[0], (params, buffers), (xs,))

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        outputs = tg.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
    np.testing.assert_allclose(outputs.numpy(), np.stack([m(x).numpy() for m in models]), rtol=1e-12)


def test_stack_module_state_gives_the_ensembles_stacked_parameters_and_checks_the_architecture():
    tg.manual_seed(2)
    models = [nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(tg.float64) for _ in range(3)]
    params, buffers = func.stack_module_state(models)
    assert set(params) == {"0.weight", "0.bias", "1.weight", "1.bias"}
    np.testing.assert_array_equal(params["0.weight"].numpy(), np.stack([m[0].weight.numpy() for m in models]))
    assert params["0.weight"].requires_grad and params["0.weight"].is_leaf
    np.testing.assert_array_equal(buffers["1.running_var"].numpy(), np.ones((3, 4)))
    with pytest.raises(ValueError, match="stack_module_state: the models' parameters differ"):
        func.stack_module_state([models[0], nn.Linear(3, 4)])


class TinyLanguageModel(nn.Module):
    """Embedding, LayerNorm and a linear head: a per-token classifier as in makemore or d2l."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 4, padding_idx=0)
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 7)

    def forward(self, tokens):
        return self.head(self.norm(self.embed(tokens)).tanh())


def test_per_sample_gradients_through_embedding_and_layer_norm_batch_and_equal_a_loop():
    tg.manual_seed(3)
    model = TinyLanguageModel().to(tg.float64)
    params = {k: v.detach() for k, v in model.named_parameters()}
    rng = np.random.default_rng(5)
    tokens, targets = tg.tensor(rng.integers(0, 7, (5, 6))), tg.tensor(rng.integers(0, 7, (5, 6)))
    tokens[0, 0] = 0  # a padding token: its embedding row gets no gradient

    def loss(p, seq, target):
        return F.cross_entropy(func.functional_call(model, p, (seq,)), target)

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        grads = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, tokens, targets)
    for i in range(5):
        model.zero_grad()
        loss(dict(model.named_parameters()), tokens[i], targets[i]).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(grads[name][i].numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    assert not grads["embed.weight"].numpy()[0, 0].any()


def test_a_batched_tensor_answers_shape_questions_as_a_tensor_of_one_sample():
    seen = {}

    def f(a):
        seen.update(shape=a.shape, size=a.size(), dim1=a.size(1), count=a.size, numel=a.shape.numel(), ndim=a.dim())
        return a

    func.vmap(f)(tg.zeros(2, 3, 4))
    assert seen == {"shape": (3, 4), "size": (3, 4), "dim1": 4, "count": 12, "numel": 12, "ndim": 2}
    assert isinstance(seen["shape"], tg.Size)


@pytest.mark.parametrize("name, fn", [
    ("sort", lambda a: tg.sort(a, 1).values), ("max", lambda a: tg.max(a, 1).values),
    ("min", lambda a: tg.min(a, dim=0).indices.float()), ("argmax", lambda a: tg.argmax(a, 1).float()),
    ("topk", lambda a: tg.topk(a, 2).values), ("any", lambda a: tg.any(a > 0, dim=1).float()),
    ("all", lambda a: tg.all(a > -1, dim=0, keepdim=True).float()), ("isclose", lambda a: tg.isclose(a, a.round()).float()),
    ("nan_to_num", lambda a: tg.nan_to_num(a.log())), ("sign", lambda a: tg.sign(a)),
])
def test_functional_forms_that_read_values_batch_through_their_methods(name, fn):
    """tg.sort(x) is x.sort() (as in PyTorch), so under vmap it takes the method's batching rule."""
    x = tg.tensor(np.random.default_rng(6).standard_normal((3, 4, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        batched = func.vmap(fn)(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log of negatives: nan, replaced
        expected = np.stack([fn(x[i]).numpy() for i in range(3)])
    np.testing.assert_allclose(batched.numpy(), expected, err_msg=name)


def test_one_hot_with_its_number_of_classes_batches():
    labels = tg.tensor(np.random.default_rng(8).integers(0, 4, (3, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        batched = func.vmap(lambda y: F.one_hot(y, 4))(labels)
    np.testing.assert_array_equal(batched.numpy(), np.eye(4, dtype=np.int64)[labels.numpy()])
    with pytest.warns(BatchingFallbackWarning, match="one_hot"):  # classes from each sample's own values
        looped = func.vmap(lambda y: F.one_hot(y))(tg.tensor([[0, 2], [2, 1]]))
    np.testing.assert_array_equal(looped.numpy(), np.eye(3, dtype=np.int64)[[[0, 2], [2, 1]]])
