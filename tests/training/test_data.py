"""Built-in datasets (deterministic, learnable shapes) and local data with clear errors."""

import struct

import pytest
import torch
from training_models import small_cnn

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.training import RunEnded, Trainer
from graphbuilder.training.config import DataConfig
from graphbuilder.training.data import DataError
from graphbuilder.training.datasets import BUILTINS, load_data


@pytest.mark.parametrize("name", list(BUILTINS))
def test_builtins_are_deterministic_by_seed(name):
    a = load_data(DataConfig(dataset=name, size=64), seed=1)
    b = load_data(DataConfig(dataset=name, size=64), seed=1)
    c = load_data(DataConfig(dataset=name, size=64), seed=2)
    xa, ya = a.train[list(range(len(a.train)))]
    xb, yb = b.train[list(range(len(b.train)))]
    xc, _ = c.train[list(range(len(c.train)))]
    assert torch.equal(xa, xb) and torch.equal(ya, yb) and not torch.equal(xa, xc)
    assert len(a.train) + len(a.val) == 64 and len(a.val) == 13
    assert tuple(xa.shape[1:]) == a.input_shape


def test_shapes_and_masks_look_right():
    bundle = load_data(DataConfig(dataset="shapes_seg", size=200), seed=0)
    x, mask = bundle.train[list(range(len(bundle.train)))]
    assert x.shape[1:] == (3, 32, 32) and 0 <= x.min() and x.max() <= 1
    assert set(mask.unique().tolist()) == {0, 1, 2, 3}
    assert mask.dtype == torch.int64
    per_image = [set(m.unique().tolist()) - {0} for m in mask]
    assert all(len(s) == 1 for s in per_image)  # exactly one shape per image
    area = (mask > 0).float().mean((1, 2))
    assert 0.03 < area.min() and area.max() < 0.6  # random sizes, never empty or full
    _, labels = load_data(DataConfig(dataset="shapes", size=300), seed=0).train[list(range(240))]
    assert torch.bincount(labels).min() > 60  # balanced-ish 3 classes


def _png_folder(root, classes=("cat", "dog"), n=4, size=(12, 10)):
    from PIL import Image

    for ci, c in enumerate(classes):
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", size, (200 * ci, 30 * i, 90)).save(root / c / f"{i}.png")


def test_image_folder_trains_at_the_model_input_size(tmp_path):
    _png_folder(tmp_path / "imgs", classes=("a", "b", "c"))
    model = compile_graph(small_cnn(3), seed=0)
    cfg = {"data": {"dataset": f"imagefolder:{tmp_path / 'imgs'}", "batch_size": 4,
                    "val_fraction": 0.25, "augment": ["hflip"]}, "epochs": 1}
    final = Trainer(model, cfg, input_shape=(3, 32, 32)).fit()
    assert isinstance(final, RunEnded), final
    bundle = load_data(DataConfig(dataset=f"imagefolder:{tmp_path / 'imgs'}"), 0, (1, 16, 16))
    x, y = bundle.train[0]
    assert x.shape == (1, 16, 16) and bundle.classes == ["a", "b", "c"]


@pytest.mark.parametrize("source,expected", [
    ("imagefolder:{tmp}/nothing", "sub-folder"),
    ("imagefolder:{tmp}", "sub-folder"),
    ("cifar10:{tmp}/nothing", "cifar-10-batches-py"),
    ("cifar10:{tmp}", "cifar-10-batches-py"),
    ("mnist:{tmp}", "MNIST/raw"),
    ("csv:{tmp}/missing.csv", "header row"),
    ("tarball:{tmp}", "imagefolder:"),
    ("csv:", "needs the path"),
])
def test_missing_or_malformed_local_data_says_what_was_expected(tmp_path, source, expected):
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(DataError, match=expected):
        load_data(DataConfig(dataset=source.format(tmp=tmp_path)))


def _idx(path, magic, dims, data: bytes):
    path.write_bytes(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
                     + data)


def test_mnist_from_a_local_folder_is_fitted_to_the_model(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 20), ("t10k", 10)):
        _idx(raw / f"{split}-images-idx3-ubyte", 2051, (n, 28, 28),
             torch.randint(0, 256, (n * 28 * 28,), dtype=torch.uint8).numpy().tobytes())
        _idx(raw / f"{split}-labels-idx1-ubyte", 2049, (n,),
             (torch.arange(n) % 10).to(torch.uint8).numpy().tobytes())
    bundle = load_data(DataConfig(dataset=f"mnist:{tmp_path}"), 0, (3, 32, 32))
    x, y = bundle.train[[0, 1, 2]]
    assert x.shape == (3, 3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1
    assert len(bundle.val) == 10 and bundle.num_classes == 10


def _csv(path, text):
    path.write_text(text)
    return f"csv:{path}"


def test_csv_classification_with_string_labels(tmp_path):
    src = _csv(tmp_path / "t.csv", "x1,x2,kind\n1,2,red\n3,4,blue\n5,6,red\n7,8,green\n")
    bundle = load_data(DataConfig(dataset=src, val_fraction=0.0))
    assert bundle.task == "classification" and bundle.classes == ["blue", "green", "red"]
    assert bundle.input_shape == (2,)
    num = _csv(tmp_path / "n.csv", "x1,x2,y\n1,2,0.5\n3,4,1.5\n")
    reg = load_data(DataConfig(dataset=num, target_column="x2", task="regression",
                               val_fraction=0.0))
    x, y = reg.train[[0]]
    assert reg.task == "regression" and y.shape == (1, 1) and reg.suggested["loss"] == "mse"


@pytest.mark.parametrize("text,expected", [
    ("a,b\nx,1\n", "column 'a'.*expected a number"),
    ("a,b\n1,2,3\n", "line 2 has 3 fields"),
    ("a,b\n", "at least one data row"),
])
def test_csv_errors_name_line_and_column(tmp_path, text, expected):
    src = _csv(tmp_path / "bad.csv", text)
    with pytest.raises(DataError, match=expected):
        load_data(DataConfig(dataset=src))
    with pytest.raises(DataError, match="no column 'zz'"):
        load_data(DataConfig(dataset=_csv(tmp_path / "ok.csv", "a,b\n1,2\n"), target_column="zz"))


def test_catalog_matches_the_generated_data():
    from graphbuilder.training.datasets import apply_suggestions, dataset_catalog

    for entry in dataset_catalog():
        bundle = load_data(DataConfig(dataset=entry["name"], size=10))
        assert list(bundle.input_shape) == entry["input_shape"] and entry["description"]
        assert bundle.num_classes == entry["num_classes"] and bundle.task == entry["task"]
    reg = load_data(DataConfig(dataset="regression1d", size=10))
    assert apply_suggestions({}, reg)["loss"] == "mse"
    assert apply_suggestions({"loss": "mae"}, reg)["loss"] == "mae"
