"""The legacy .pth reader against a checkpoint written here in torch's legacy layout
(fake `torch` modules stand in for the real ones, which are not installed), covering
storage sharing, offsets and non-contiguous strides the packaged weights do not."""

from __future__ import annotations

import pickle
import struct
import sys
import types
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streambet.vision.model_cache.pth import PthFormatError, read_legacy_pth

MAGIC = 0x1950A86A20F9469CFC6C


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    class Tensor:
        def __init__(self, key: str, offset: int, size: tuple[int, ...], stride: tuple[int, ...]):
            self.args = (key, offset, size, stride)

        def __reduce__(self) -> tuple[Any, ...]:
            key, offset, size, stride = self.args
            return (
                utils._rebuild_tensor_v2,
                (("storage", key), offset, size, stride, False, OrderedDict()),
            )

    def _rebuild_tensor_v2(*args: Any) -> None:
        raise AssertionError("never called while writing")

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    torch.Tensor = Tensor  # type: ignore[attr-defined]
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    yield torch


def _write(
    path: Path, torch: types.ModuleType, state: dict[str, Any], storages: dict[str, np.ndarray]
) -> None:
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            if isinstance(obj, tuple) and len(obj) == 2 and obj[0] == "storage":
                key = obj[1]
                return ("storage", torch.FloatStorage, key, "cpu", storages[key].size)
            return None

    with path.open("wb") as fh:
        for header in (MAGIC, 1001, {"little_endian": True}):
            pickle.dump(header, fh, protocol=2)
        Pickler(fh, protocol=2).dump(state)
        pickle.dump(list(storages), fh, protocol=2)
        for data in storages.values():
            fh.write(struct.pack("<q", data.size))
            fh.write(data.astype("<f4").tobytes())


def test_offsets_shared_storages_and_strides(tmp_path: Path, fake_torch: types.ModuleType) -> None:
    base = np.arange(24, dtype=np.float32)
    other = np.array([7.0, 8.0], np.float32)
    state = OrderedDict(
        whole=fake_torch.Tensor("0", 0, (2, 3, 4), (12, 4, 1)),
        tail=fake_torch.Tensor("0", 20, (4,), (1,)),  # same storage, offset
        transposed=fake_torch.Tensor("0", 0, (4, 3), (1, 4)),  # a .t() view
        small=fake_torch.Tensor("1", 0, (2,), (1,)),
    )
    path = tmp_path / "legacy.pth"
    _write(path, fake_torch, state, {"0": base, "1": other})
    weights = read_legacy_pth(path)
    np.testing.assert_array_equal(weights["whole"], base.reshape(2, 3, 4))
    np.testing.assert_array_equal(weights["tail"], base[20:])
    np.testing.assert_array_equal(weights["transposed"], base[:12].reshape(3, 4).T)
    assert weights["transposed"].flags.c_contiguous
    np.testing.assert_array_equal(weights["small"], other)


def test_truncated_checkpoint_refused(tmp_path: Path, fake_torch: types.ModuleType) -> None:
    path = tmp_path / "cut.pth"
    _write(
        path,
        fake_torch,
        OrderedDict(w=fake_torch.Tensor("0", 0, (8,), (1,))),
        {"0": np.ones(8, np.float32)},
    )
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(PthFormatError, match="truncated"):
        read_legacy_pth(path)


def test_arbitrary_globals_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as fh:
        for header in (MAGIC, 1001, {}):
            pickle.dump(header, fh, protocol=2)
        fh.write(b"cos\nsystem\n(S'echo hi'\ntR.")
    with pytest.raises(PthFormatError, match="unexpected global"):
        read_legacy_pth(path)
