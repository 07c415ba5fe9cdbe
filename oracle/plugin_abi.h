// qdiff's values as the plug-in C ABI's plain structs (include/qdiff/backend.h)
// and the ABI's status codes as qdiff errors, for oracle/plugin_backend.cc.
// Views borrow: they point into the Tensors and QuantParams they were made
// from and live for one call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "qdiff/backend.h"

namespace qdiff::plugin {

qdiff_dtype to_c(DType d);
qdiff_tensor view(const Tensor& t);
qdiff_output output_view(Tensor& t);

// A qdiff_quant_params whose pointers stay valid while this object lives.
// Not copyable: the struct points into its own members.
class ParamsView {
 public:
  explicit ParamsView(const QuantParams& p);
  ParamsView(const ParamsView&) = delete;
  ParamsView& operator=(const ParamsView&) = delete;
  const qdiff_quant_params& get() const { return c_; }

 private:
  qdiff_quant_params c_{};
  qdiff_tensor zero_point_{};
};

// Fills the activation fields shared by the fused ops' argument structs.
template <typename CArgs>
void set_activation(CArgs& c, const Activation& a) {
  c.activation = int32_t(a.kind);
  c.activation_lo = a.lo;
  c.activation_hi = a.hi;
}

// The operands qlinear and qconv2d share (x, w, the optional bias, out and
// the activation), as views that stay valid while this object lives.
class WeightedOperands {
 public:
  template <typename Args>
  explicit WeightedOperands(const Args& a) : x_(a.x_params), w_(a.w_params), out_(a.out_params) {
    if (a.bias) bias_ = view(*a.bias);
  }
  WeightedOperands(const WeightedOperands&) = delete;
  WeightedOperands& operator=(const WeightedOperands&) = delete;

  template <typename Args, typename CArgs>
  void fill(const Args& a, CArgs& c) const {
    c.x = view(a.x);
    c.x_params = x_.get();
    c.w = view(a.w);
    c.w_params = w_.get();
    c.bias = bias_ ? &*bias_ : nullptr;
    c.out_params = out_.get();
    set_activation(c, a.activation);
    c.contract.bias = a.contract.bias == BiasGrid::int32_acc ? QDIFF_BIAS_INT32_ACC : QDIFF_BIAS_FLOAT;
    c.contract.output_zero_point = a.contract.output_zero_point == OutputZeroPoint::before_rounding
                                       ? QDIFF_OUTPUT_ZERO_POINT_BEFORE_ROUNDING
                                       : QDIFF_OUTPUT_ZERO_POINT_AFTER_ROUNDING;
  }

 private:
  ParamsView x_, w_, out_;
  std::optional<qdiff_tensor> bias_;
};

// OK returns; UNSUPPORTED throws NotApplicable (oracle/plugin_backend.h);
// an error kind throws that Error; anything else is a broken plug-in.
void check_status(qdiff_status s, const std::string& backend, const char* op);

}  // namespace qdiff::plugin
