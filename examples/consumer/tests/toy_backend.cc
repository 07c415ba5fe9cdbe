#include "tests/toy_backend.h"

#include <cmath>
#include <string>

#include <qdiff/core/block_layout.h>
#include <qdiff/core/error.h>
#include <qdiff/oracle/plugin_backend.h>
#include <qdiff/reference/validate.h>

#include "toy/toy_quantize.h"

namespace toyq {
namespace {

using qdiff::NotApplicable;

// The spec's block layout of a valid case. Inputs the spec rejects are
// declined: the toy kernel does not validate (a kernel that does would drop
// this and get error parity checked as well).
qdiff::BlockLayout validated_layout(const qdiff::Tensor& input, const qdiff::QuantParams& p) {
  try {
    return qdiff::reference::validate_affine(qdiff::reference::AffineOp::quantize, input, p);
  } catch (const qdiff::Error& e) {
    throw NotApplicable(std::string("toy: does not validate inputs: ") + e.what());
  }
}

// The kernel's parameters for a case it implements; throws NotApplicable
// otherwise.
QuantizeParams toy_params(const qdiff::Tensor& input, const qdiff::QuantParams& p,
                          qdiff::Contract contract) {
  if (contract != qdiff::Contract::torchao) throw NotApplicable("toy: torchao contract only");
  if (p.zero_point_domain == qdiff::ZeroPointDomain::float_domain) {
    throw NotApplicable("toy: no float zero-point domain");
  }
  const qdiff::BlockLayout layout = validated_layout(input, p);
  QuantizeParams t;
  switch (layout.classify()) {
    case qdiff::LayoutClass::per_tensor: t.axis = -1; break;
    case qdiff::LayoutClass::per_channel: t.axis = *layout.channel_axis(); break;
    default: throw NotApplicable("toy: per-tensor and per-channel only");
  }
  const auto scale = p.scale.data<float>();
  t.scale.assign(scale.begin(), scale.end());
  if (p.zero_point) {
    for (int64_t i = 0; i < p.zero_point->numel(); ++i) {
      t.zero_point.push_back(int32_t(p.zero_point->value_at(i)));
    }
  }
  t.quant_min = int32_t(p.quant_min);
  t.quant_max = int32_t(p.quant_max);
  return t;
}

class ToyBackend final : public qdiff::Backend {
 public:
  std::string name() const override { return "toy"; }

  qdiff::Tensor quantize_affine(const qdiff::Tensor& input, const qdiff::QuantParams& p,
                                qdiff::Contract contract) const override {
    const QuantizeParams t = toy_params(input, p, contract);
    std::vector<int32_t> q(size_t(input.numel()));
    toyq::quantize(input.data<float>(), input.shape().dims(), t, q);
    // Stored in the params' dtype, as the reference stores it.
    qdiff::Tensor out(p.dtype, input.shape());
    qdiff::visit_integer_dtype(p.dtype, [&](auto tag) {
      using Q = decltype(tag);
      auto o = out.data<Q>();
      for (size_t i = 0; i < q.size(); ++i) o[i] = Q(q[i]);
    });
    return out;
  }
  qdiff::Tensor dequantize_affine(const qdiff::Tensor&, const qdiff::QuantParams&,
                                  qdiff::Contract) const override {
    throw NotApplicable("toy: no dequantize");
  }
  qdiff::ChosenQParams choose_qparams_affine(const qdiff::Tensor&,
                                             const qdiff::ChooseQParamsArgs&) const override {
    throw NotApplicable("toy: no choose_qparams");
  }
  qdiff::Tensor fake_quantize_affine(const qdiff::Tensor&, const qdiff::QuantParams&,
                                     qdiff::Contract) const override {
    throw NotApplicable("toy: no fake_quantize");
  }
};

}  // namespace

std::unique_ptr<qdiff::Backend> make_toy_backend() { return std::make_unique<ToyBackend>(); }

}  // namespace toyq
