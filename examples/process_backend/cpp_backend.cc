// A qdiff process backend in C++ (docs/process-protocol.md): per-tensor
// quantize, dequantize and fake_quantize under every contract of SPEC
// section 3, int or none zero-point domain; everything else is declined.
// It reads requests and writes answers with qdiff's case-file library
// (cases/), the same code `qdiff eval` uses, and does its own arithmetic.
#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "cases/case.h"
#include "cases/json_document.h"
#include "cases/json_fields.h"
#include "cases/json_writer.h"
#include "core/float_bits.h"

namespace {
using namespace qdiff;

// Why this backend declines the case, or nullopt if it computes it.
std::optional<std::string> declined(const AffineCase& c) {
  const QuantParams& p = c.params;
  if (c.op == AffineOpKind::choose_qparams) return "no choose_qparams";
  if (p.scale.numel() != 1 || p.block_size || p.scale.dtype() != DType::f32) return "per-tensor scales only";
  if (p.zero_point_domain == ZeroPointDomain::float_domain) return "no float-domain zero points";
  if (!is_integer(p.dtype) || p.quant_min < dtype_min(p.dtype) || p.quant_max > dtype_max(p.dtype) ||
      p.quant_min > p.quant_max || !is_valid_scale_value(p.scale.f32_at(0))) {
    return "invalid params (left to the reference to reject)";
  }
  if (p.zero_point && (p.zero_point_domain == ZeroPointDomain::none || !is_integer(p.zero_point->dtype()) ||
                       p.zero_point->shape() != p.scale.shape() || p.zero_point->int_at(0) < p.quant_min ||
                       p.zero_point->int_at(0) > p.quant_max)) {
    return "invalid zero point (left to the reference to reject)";
  }
  const DType want = c.op == AffineOpKind::dequantize ? p.dtype : DType::f32;
  if (c.input.dtype() != want) return "unexpected input dtype";
  return std::nullopt;
}

// SPEC sections 3 and 4 for one element: scale, round, add the zero point
// (exactly, in double), clamp. Infinities saturate through the clamp.
int64_t quantize_one(float x, float s, int64_t z, const QuantParams& p, Contract contract) {
  const bool reciprocal = contract == Contract::torchao || contract == Contract::zp_before;
  const float v = reciprocal ? x * (1.0f / s) : x / s;
  double t;
  if (contract == Contract::zp_before) {
    t = std::nearbyint(double(v + float(z)));  // the default rounding mode: half to even
  } else {
    t = (contract == Contract::half_away ? std::round(double(v)) : std::nearbyint(double(v))) + double(z);
  }
  return int64_t(std::fmin(std::fmax(t, double(p.quant_min)), double(p.quant_max)));
}

std::optional<size_t> first_nan(const Tensor& x) {
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(x.f32_at(i))) return size_t(i);
  }
  return std::nullopt;
}

Tensor compute(const AffineCase& c) {
  const QuantParams& p = c.params;
  const float s = p.scale.f32_at(0);
  const int64_t z = p.zero_point ? p.zero_point->int_at(0) : 0;
  std::vector<int64_t> q(size_t(c.input.numel()));
  for (size_t i = 0; i < q.size(); ++i) {
    q[i] = c.op == AffineOpKind::dequantize ? c.input.int_at(int64_t(i))
                                            : quantize_one(c.input.f32_at(int64_t(i)), s, z, p, c.contract);
  }
  if (c.op == AffineOpKind::quantize) {
    return visit_integer_dtype(p.dtype, [&](auto type) {
      return Tensor::of(c.input.shape(), std::vector<decltype(type)>(q.begin(), q.end()));
    });
  }
  std::vector<float> y(q.size());
  for (size_t i = 0; i < q.size(); ++i) y[i] = (float(q[i]) - float(z)) * s;  // SPEC section 5
  return Tensor::of(c.input.shape(), y);
}

CaseResult evaluate(const AffineCase& c) {
  CaseResult r;
  if (const auto nan = c.op != AffineOpKind::dequantize ? first_nan(c.input) : std::nullopt) {
    r.error_kind = ErrorKind::nan_input;
    r.error_message = "input element " + std::to_string(*nan) + " is NaN";
  } else {
    r.outputs.emplace("output", compute(c));
  }
  return r;
}

std::string hello() {
  return R"({"qdiff": "hello", "version": 1, "name": "cpp-example", )"
         R"("ops": ["quantize_affine", "dequantize_affine", "fake_quantize_affine"]})";
}

std::string answer(const std::string& line) {
  const JsonDocument doc = JsonDocument::parse(line);
  if (JsonObjectReader(doc, doc.root(), "").find("qdiff")) return hello();  // hello (no graph passes here)
  const Case any = parse_case(line);
  const auto* c = std::get_if<AffineCase>(&any);
  std::string why = c ? declined(*c).value_or("") : "quant-core ops only";
  if (!why.empty()) {
    std::string out = R"({"unsupported": )";
    append_json_string(out, why);
    return out + "}";
  }
  return json_on_one_line(write_result(evaluate(*c)));
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  for (std::string line; std::getline(std::cin, line);) std::cout << answer(line) << std::endl;  // endl flushes
  return 0;
}
