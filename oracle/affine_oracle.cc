#include "oracle/affine_oracle.h"

#include <cstring>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "reference/quantize.h"

namespace qdiff {

CaseResult evaluate_affine(const AffineCase& c, const Backend& b) {
  CaseResult r;
  try {
    switch (c.op) {
      case AffineOpKind::quantize:
        r.outputs.emplace("output", b.quantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::dequantize:
        r.outputs.emplace("output", b.dequantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::fake_quantize:
        r.outputs.emplace("output", b.fake_quantize_affine(c.input, c.params, c.contract));
        break;
      case AffineOpKind::choose_qparams: {
        ChosenQParams q = b.choose_qparams_affine(c.input, c.choose);
        r.outputs.emplace("scale", std::move(q.scale));
        if (q.zero_point) r.outputs.emplace("zero_point", std::move(*q.zero_point));
        break;
      }
    }
  } catch (const Error& e) {
    r.outputs.clear();
    r.error_kind = e.kind();
    r.error_message = e.what();
  }
  return r;
}

namespace {

// Where the element's scale and zero point came from, and the reference's
// value before rounding (quantize-family ops only).
void add_quantize_context(const AffineCase& c, Mismatch& m) {
  if (c.op != AffineOpKind::quantize && c.op != AffineOpKind::fake_quantize &&
      c.op != AffineOpKind::dequantize) {
    return;
  }
  const BlockLayout layout =
      BlockLayout::derive(c.input.shape(), c.params.scale.shape(), c.params.block_size);
  const int64_t si = layout.scale_index(m.index);
  const float s = c.params.scale.f32_at(si);
  const double z = c.params.zero_point ? c.params.zero_point->value_at(si) : 0.0;
  const auto scale_index = unflatten(layout.scale_shape(), si);
  m.context = fmt::format("input {} uses scale[{}] = {} and zero point {} ({})",
                          format_element(c.input, m.flat), fmt::join(scale_index, ", "),
                          format_element(c.params.scale, si), z, layout.describe());
  if (c.op != AffineOpKind::dequantize) {
    m.pre_rounding =
        reference::quantize_element(c.input.f32_at(m.flat), s, z, c.params, c.contract)
            .pre_rounding;
  }
}

}  // namespace

Verdict compare_affine(const AffineCase& c, const CaseResult& expected,
                       const CaseResult& actual) {
  if (expected.error_kind || actual.error_kind) {
    if (expected.error_kind && actual.error_kind) {
      if (*expected.error_kind == *actual.error_kind) return Verdict::pass();
      return Verdict::fail(
          fmt::format("error parity: reference rejects with {}, backend with {}",
                      error_kind_name(*expected.error_kind),
                      error_kind_name(*actual.error_kind)),
          fmt::format("  reference: {}\n  backend:   {}", expected.error_message,
                      actual.error_message));
    }
    if (expected.error_kind) {
      return Verdict::fail(
          fmt::format("error parity: reference rejects with {}, backend accepts",
                      error_kind_name(*expected.error_kind)),
          "  reference: " + expected.error_message);
    }
    return Verdict::fail(
        fmt::format("error parity: backend rejects with {}, reference accepts",
                    error_kind_name(*actual.error_kind)),
        "  backend: " + actual.error_message);
  }
  for (const auto& [name, want] : expected.outputs) {
    const auto it = actual.outputs.find(name);
    if (it == actual.outputs.end()) {
      return Verdict::fail(fmt::format("output '{}' is missing", name));
    }
    const Tensor& got = it->second;
    if (got.shape() != want.shape()) {
      return Verdict::fail(fmt::format("output '{}' has shape {}, expected {}", name,
                                       got.shape().str(), want.shape().str()));
    }
    if (got.dtype() != want.dtype()) {
      return Verdict::fail(fmt::format("output '{}' has dtype {}, expected {}", name,
                                       dtype_name(got.dtype()), dtype_name(want.dtype())));
    }
    if (want.bitwise_equal(got)) continue;
    const size_t width = dtype_size(want.dtype());
    const auto* a = static_cast<const unsigned char*>(want.raw());
    const auto* b = static_cast<const unsigned char*>(got.raw());
    int64_t flat = 0;
    while (flat < want.numel() &&
           std::memcmp(a + flat * width, b + flat * width, width) == 0) {
      ++flat;
    }
    int64_t count = 0;
    for (int64_t i = flat; i < want.numel(); ++i) {
      count += std::memcmp(a + i * width, b + i * width, width) != 0;
    }
    Verdict v = Verdict::fail(fmt::format("output '{}' differs in {} of {} elements",
                                          name, count, want.numel()));
    Mismatch m;
    m.output = name;
    m.flat = flat;
    m.index = unflatten(want.shape(), flat);
    m.expected = format_element(want, flat);
    m.actual = format_element(got, flat);
    if (name == "output") {
      try {
        add_quantize_context(c, m);
      } catch (const Error&) {
        // The reference accepted these shapes, so this cannot throw; the
        // report just goes without context if it does.
      }
    }
    v.mismatch = std::move(m);
    return v;
  }
  for (const auto& [name, got] : actual.outputs) {
    if (!expected.outputs.count(name)) {
      return Verdict::fail(fmt::format("unexpected output '{}' (shape {})", name,
                                       got.shape().str()));
    }
  }
  return Verdict::pass();
}

Verdict check_affine(const AffineCase& c, const Backend& backend) {
  static const auto reference = make_reference_backend();
  return compare_affine(c, evaluate_affine(c, *reference), evaluate_affine(c, backend));
}

}  // namespace qdiff
