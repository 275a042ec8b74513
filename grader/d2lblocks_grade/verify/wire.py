"""The plain-data format that crosses the sandbox's boundary, both ways.

Challenges go into a kernel and responses come out as JSON text: numbers,
strings, booleans, None, lists, string-keyed dicts, and tensors written as
``{"__tensor__": {"dtype": "float32", "shape": [2, 3], "data": "<base64>"}}``.
`loads` is the verifier's side: it accepts nothing else, rebuilds every tensor
as a plain ``torch.Tensor`` from raw bytes (never from an object the kernel
made), and caps sizes, so a response can hold only data.

This module imports only the standard library and torch: its source is also
run inside the kernel, where `dumps` writes the responses.

Example::

    >>> import torch
    >>> text = dumps({"out": torch.ones(2), "n": 3})
    >>> value = loads(text)
    >>> type(value["out"]) is torch.Tensor, value["out"].tolist(), value["n"]
    (True, [1.0, 1.0], 3)
"""
from __future__ import annotations

import base64
import json
import math

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
          "int64": torch.int64, "int32": torch.int32, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}
MAX_TEXT = 8 << 20  # bytes of JSON in one response
MAX_ELEMENTS = 1 << 20  # numbers in one tensor
MAX_DEPTH = 32


class NotPlainData(ValueError):
    """A response that is not plain data in this format; the message says what was wrong."""


def _tensor_to_json(value) -> dict:
    # Read through torch.Tensor's own methods: a subclass cannot choose what is written.
    plain = torch.Tensor.detach(value)
    plain = torch.Tensor.to(torch.Tensor.contiguous(plain), device="cpu")
    name = str(plain.dtype).removeprefix("torch.")
    if name not in DTYPES:
        plain, name = torch.Tensor.to(plain, torch.float64), "float64"
    raw = torch.Tensor.numpy(torch.Tensor.view(plain.reshape(-1), torch.uint8)).tobytes() \
        if plain.numel() else b""
    return {"__tensor__": {"dtype": name, "shape": list(plain.shape), "data": base64.b64encode(raw).decode()}}


def to_json(value, depth: int = 0):
    """`value` as JSON-ready plain data (kernel side): tensors become dicts, tuples lists."""
    if depth > MAX_DEPTH:
        raise NotPlainData("a response nested deeper than 32 levels")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, torch.Tensor):
        return _tensor_to_json(value)
    if type(value) in (list, tuple):
        return [to_json(item, depth + 1) for item in value]
    if type(value) is dict:
        return {str(key): to_json(item, depth + 1) for key, item in value.items()}
    return {"__unsupported__": type(value).__name__}


def dumps(value) -> str:
    return json.dumps(to_json(value), allow_nan=False)


def _tensor_from_json(spec) -> torch.Tensor:
    if type(spec) is not dict or set(spec) != {"dtype", "shape", "data"}:
        raise NotPlainData("a tensor entry must hold exactly dtype, shape and data")
    dtype, shape, data = spec["dtype"], spec["shape"], spec["data"]
    if dtype not in DTYPES:
        raise NotPlainData(f"a tensor of dtype {str(dtype)[:20]!r}, which responses do not use")
    if type(shape) is not list or not all(type(n) is int and 0 <= n for n in shape) or len(shape) > 8:
        raise NotPlainData("a tensor shape must be a list of at most 8 non-negative integers")
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise NotPlainData(f"a tensor of {count} numbers, more than a response may hold ({MAX_ELEMENTS})")
    if type(data) is not str:
        raise NotPlainData("tensor data must be base64 text")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:  # binascii.Error: not base64 at all
        raise NotPlainData("tensor data that is not base64") from None
    size = torch.empty((), dtype=DTYPES[dtype]).element_size()
    if len(raw) != count * size:
        raise NotPlainData(f"tensor data holds {len(raw)} bytes for shape {shape} of {dtype}")
    if not count:
        return torch.empty(shape, dtype=DTYPES[dtype])
    return torch.frombuffer(bytearray(raw), dtype=DTYPES[dtype]).reshape(shape).clone()


def from_json(value, depth: int = 0):
    """Plain data back from JSON (verifier side); raises `NotPlainData` for anything else."""
    if depth > MAX_DEPTH:
        raise NotPlainData("a response nested deeper than 32 levels")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [from_json(item, depth + 1) for item in value]
    if type(value) is dict:
        if set(value) == {"__tensor__"}:
            return _tensor_from_json(value["__tensor__"])
        if set(value) == {"__float__"} and value["__float__"] in ("nan", "inf", "-inf"):
            return float(value["__float__"])
        if set(value) == {"__unsupported__"}:
            return Unsupported(str(value["__unsupported__"])[:80])
        return {str(key): from_json(item, depth + 1) for key, item in value.items()}
    raise NotPlainData(f"a value of JSON type {type(value).__name__}")


class Unsupported(str):
    """Where the kernel had an object that is not plain data (its type name only)."""


def loads(text) -> object:
    """Parse a response: JSON text of at most `MAX_TEXT` bytes, plain data only."""
    if type(text) is not str:
        raise NotPlainData(f"a response must be JSON text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise NotPlainData(f"a response of {len(text)} characters, more than {MAX_TEXT}")
    try:
        parsed = json.loads(text, parse_constant=lambda name: float(name))
    except (ValueError, RecursionError) as error:
        raise NotPlainData(f"a response that is not JSON ({type(error).__name__})") from None
    try:
        return from_json(parsed)
    except NotPlainData:
        raise
    except Exception as error:  # whatever else a crafted value trips: still not plain data, never a grader failure
        raise NotPlainData(f"a value that cannot be read ({type(error).__name__})") from None
