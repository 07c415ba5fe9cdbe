"""The process protocol's plumbing, shared by the Python process backends
(examples/torch_backend, examples/onnxruntime_backend, the pass backends
toy_pass_pipeline.py and examples/fx_passes; protocol:
docs/process-protocol.md). Standard library only: each backend converts the
plain lists these functions return into its own tensors.

    sys.path.insert(0, PATH_OF_THIS_DIRECTORY)
    import qdiff_process
    qdiff_process.serve("my-kernels", {"quantize_affine": quantize}, refusals=(RuntimeError,))
"""
import collections
import json
import math
import os
import struct
import sys

FLT_MIN = 1.1754943508222875e-38
FLT_MAX = 3.4028234663852886e38

# Storage ranges of the case-file dtype names (SPEC section 1); a sub-byte
# name ("i4") is its storage with a narrower default range.
STORAGE_RANGE = {"i8": (-128, 127), "u8": (0, 255), "i16": (-32768, 32767), "u16": (0, 65535),
                 "i32": (-2**31, 2**31 - 1)}


def quantized_type_range(name):
    """The default [quant_min, quant_max] of a dtype name: i1..i7, u1..u7 or a storage name."""
    if name in STORAGE_RANGE:
        return STORAGE_RANGE[name]
    if len(name) == 2 and name[0] in "iu" and name[1] in "1234567":
        bits = int(name[1])
        return (-2**(bits - 1), 2**(bits - 1) - 1) if name[0] == "i" else (0, 2**bits - 1)
    raise Decline("dtype " + name)


class Decline(Exception):
    """Raised anywhere in an op: the case is answered {"unsupported": why}."""


def f32_value(v):
    """A tensor value of the case format as a Python float: numbers, "nan",
    "inf", "-inf" and C99 hex floats ("0x1.8p2")."""
    if isinstance(v, str):
        return float.fromhex(v) if "x" in v else float(v)
    return float(v)


def f32(v):
    """Rounds a double to the nearest f32 (ties to even); overflow is inf."""
    try:
        return struct.unpack("f", struct.pack("f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def num(v):
    """An f32 value of a case-file tensor, rounded to f32."""
    return f32(f32_value(v))


def values(t):
    """A case-file tensor's data as a flat list: floats for f32, ints otherwise."""
    return [f32_value(v) for v in t["data"]] if t["dtype"] == "f32" else [int(v) for v in t["data"]]


def json_f32(v):
    """An f32 value for an answer: a round-tripping number, or "nan" / "inf" / "-inf"."""
    return v if math.isfinite(v) else str(v)


def json_tensor(dtype, shape, data):
    """A result tensor from a dtype name, a shape and flat Python numbers."""
    data = [json_f32(float(v)) for v in data] if dtype == "f32" else [int(v) for v in data]
    return {"dtype": dtype, "shape": [int(d) for d in shape], "data": data}


def result(dtype, shape, data):
    return {"format": "qdiff-result", "version": 1, "outputs": {"output": json_tensor(dtype, shape, data)}}


def check_params(p):
    """Declines PARAMS (or an affine case's top level) that SPEC section 2
    rejects, and every zero-point domain but int and none: the backends built
    on this module do not validate in docs/validation-order.md's order, so
    they judge valid cases only. Returns (quant_min, quant_max)."""
    lo, hi = quantized_type_range(p["dtype"])
    storage_lo, storage_hi = STORAGE_RANGE.get(p["dtype"], STORAGE_RANGE[p["dtype"][0] + "8"])
    qmin, qmax = p.get("quant_min", lo), p.get("quant_max", hi)
    if not storage_lo <= qmin <= qmax <= storage_hi:
        raise Decline("a quant range the spec rejects")
    if p.get("zero_point_domain", "int") not in ("int", "none"):
        raise Decline("the float zero-point domain")
    scale, zp = p["scale"], p.get("zero_point")
    if scale["dtype"] != "f32" or not all(math.isfinite(s) and FLT_MIN <= s for s in values(scale)):
        raise Decline("a scale the spec rejects (not finite, positive and normal)")
    if zp:
        if p.get("zero_point_domain", "int") != "int" or zp["dtype"] == "f32" or zp["shape"] != scale["shape"]:
            raise Decline("a zero point the spec rejects")
        if not all(qmin <= z <= qmax for z in values(zp)):
            raise Decline("a zero point outside the quant range")
    return qmin, qmax


def serve(name, ops, refusals=(), reads=()):
    """Answers the hello and then one request per line, until stdin closes.
    `ops` maps case-file op names to functions(case) -> result document; a
    Decline, or an exception of a type in `refusals` (the library refusing
    the configuration), becomes {"unsupported": why}. `reads` names the
    optional request members the backend understands (the hello's "reads",
    docs/process-protocol.md), e.g. "qlinear_contract". With
    QDIFF_DECLINE_SUMMARY=FILE in the environment, FILE holds the reasons of
    the declines and their counts (what a run did not judge), rewritten at
    each answered case after new declines: qdiff kills a backend rather than
    closing its stdin, so there is no "at exit", and rewriting it at every
    decline would cost more than the declines."""
    declined, unwritten = collections.Counter(), False
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("qdiff") == "hello":
            answer = hello(name, ops=ops, reads=reads)
        else:
            try:
                answer = ops[request["op"]](request)
            except Decline as why:
                answer = {"unsupported": str(why)}
            except refusals as e:
                first_line = (str(e).splitlines() or [""])[0]
                answer = {"unsupported": "{}: {}".format(type(e).__name__, first_line[:200])}
            if "unsupported" in answer:
                declined[(request.get("op"), answer["unsupported"])] += 1
                unwritten = True
            elif unwritten:
                write_decline_summary(declined)
                unwritten = False
        print(json.dumps(answer), flush=True)


def write_decline_summary(declined):
    path = os.environ.get("QDIFF_DECLINE_SUMMARY")
    if path:
        with open(path, "w") as f:
            f.writelines("{:8} {}: {}\n".format(n, op, why) for (op, why), n in declined.most_common())


def hello(name, ops=(), passes=(), reads=()):
    answer = {"qdiff": "hello", "version": 1, "name": name, "ops": list(ops), "passes": list(passes)}
    if reads:
        answer["reads"] = list(reads)
    return answer


def graph_pass_answer(request, passes):
    """Answers a graph-pass request with `passes` (name -> function of the
    graph member, in pipeline order); "pipeline" runs them all in order."""
    name, graph = request.get("pass"), request["graph"]
    if name == "pipeline":
        for run in passes.values():
            graph = run(graph)
    elif name in passes:
        graph = passes[name](graph)
    else:
        return {"unsupported": "no graph pass " + str(name)}
    return graph if "unsupported" in graph else {"graph": graph}


def serve_graph_passes(name, passes):
    """The request loop of a pass-only backend: one JSON line in, one out,
    flushed; op requests are declined."""
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("qdiff") == "hello":
            answer = hello(name, passes=passes.keys())
        elif request.get("qdiff") == "graph-pass":
            answer = graph_pass_answer(request, passes)
        else:
            answer = {"unsupported": "graph passes only"}
        print(json.dumps(answer), flush=True)
