#!/usr/bin/python3
# A qdiff process backend (docs/process-protocol.md): per-tensor quantize and
# dequantize, torchao contract, int or none zero-point domain (SPEC 3-5).
# f32 arithmetic is emulated by rounding each double result to f32.
import json, math, struct, sys

RANGE = {"i8": (-128, 127), "u8": (0, 255), "i16": (-32768, 32767), "u16": (0, 65535), "i32": (-2**31, 2**31 - 1)}

def f32(v):  # round a double to the nearest f32 (ties to even); overflow is inf
    try: return struct.unpack("f", struct.pack("f", v))[0]
    except OverflowError: return math.copysign(math.inf, v)

def num(v): return f32(float.fromhex(v) if isinstance(v, str) and "x" in v else float(v))

def out(v): return v if math.isfinite(v) else str(v)  # nan, inf, -inf as strings

def supported(c):  # per-tensor, torchao, int/none domain, valid params; the rest is declined
    dt, lo, hi, scale, zp, domain = c["dtype"], c["quant_min"], c["quant_max"], c["scale"], c.get("zero_point"), c.get("zero_point_domain", "int")
    if c.get("contract", "torchao") != "torchao" or c.get("block_size") or scale["dtype"] != "f32" or len(scale["data"]) != 1: return False
    if domain not in ("int", "none") or dt not in RANGE or not RANGE[dt][0] <= lo <= hi <= RANGE[dt][1]: return False
    if not 1.1754944e-38 <= num(scale["data"][0]) <= 3.4028235e38: return False  # finite, positive, normal
    return not zp or (domain == "int" and zp["shape"] == scale["shape"] and zp["dtype"] in RANGE and lo <= zp["data"][0] <= hi)

def answer(c):
    if c.get("op") not in ("quantize_affine", "dequantize_affine") or not supported(c): return {"unsupported": "per-tensor int/none domain, torchao only"}
    dt, lo, hi, s, zp = c["dtype"], c["quant_min"], c["quant_max"], num(c["scale"]["data"][0]), c.get("zero_point")
    z, x = (zp["data"][0] if zp else 0), c["input"]
    if c["op"] == "quantize_affine" and x["dtype"] == "f32":
        xs = [num(v) for v in x["data"]]
        if any(math.isnan(v) for v in xs): return {"format": "qdiff-result", "version": 1, "error": {"kind": "nan_input", "message": "NaN input"}}
        vs = [f32(v * f32(1.0 / s)) for v in xs]  # torchao: x times the f32 reciprocal
        q = [int(min(max((round(v) if math.isfinite(v) else v) + z, lo), hi)) for v in vs]  # round() is half to even
        return {"format": "qdiff-result", "version": 1, "outputs": {"output": {"dtype": dt, "shape": x["shape"], "data": q}}}
    if c["op"] == "dequantize_affine" and x["dtype"] == dt:
        y = [out(f32(f32(f32(q) - f32(z)) * s)) for q in x["data"]]
        return {"format": "qdiff-result", "version": 1, "outputs": {"output": {"dtype": "f32", "shape": x["shape"], "data": y}}}
    return {"unsupported": "this op or input dtype"}

for line in sys.stdin:
    req = json.loads(line)
    if req.get("qdiff") == "hello":
        res = {"qdiff": "hello", "version": 1, "name": "python-example", "ops": ["quantize_affine", "dequantize_affine"]}
    else:
        res = answer(req)
    print(json.dumps(res), flush=True)
