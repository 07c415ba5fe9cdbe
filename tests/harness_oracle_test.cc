// The oracle must notice every kind of disagreement SPEC section 9 names:
// a different element (bit-exact, -0.0 included), a different shape or
// dtype, a missing output, and broken error parity. Each test feeds it a
// deliberately wrong backend.
#include <gtest/gtest.h>

#include "core/float_bits.h"
#include "oracle/affine_oracle.h"

namespace qdiff {
namespace {

// The reference, with one deliberate defect applied to every result.
class TamperedBackend final : public Backend {
 public:
  enum class Defect { none, flip_last_element, negate_zero, wrong_shape, wrong_dtype, throw_scale, throw_range };
  explicit TamperedBackend(Defect d) : defect_(d), reference_(make_reference_backend()) {}
  std::string name() const override { return "tampered"; }
  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    reject_first();
    return tamper(reference_->quantize_affine(x, p, c));
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return tamper(reference_->dequantize_affine(x, p, c));
  }
  ChosenQParams choose_qparams_affine(const Tensor& x, const ChooseQParamsArgs& a) const override {
    ChosenQParams r = reference_->choose_qparams_affine(x, a);
    r.scale = tamper(std::move(r.scale));
    return r;
  }
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return tamper(reference_->fake_quantize_affine(x, p, c));
  }

 private:
  // The throwing defects reject before the reference could.
  void reject_first() const {
    if (defect_ == Defect::throw_scale) fail(ErrorKind::invalid_scale, "tampered");
    if (defect_ == Defect::throw_range) fail(ErrorKind::invalid_range, "tampered");
  }
  Tensor tamper(Tensor t) const {
    switch (defect_) {
      case Defect::none: return t;
      case Defect::flip_last_element: {
        auto* bytes = static_cast<unsigned char*>(t.raw());
        bytes[t.nbytes() - 1] ^= 1;
        return t;
      }
      case Defect::negate_zero:
        for (float& v : t.data<float>()) {
          if (v == 0.0f) v = -v;
        }
        return t;
      case Defect::wrong_shape: return t.reshaped(Shape{t.numel()});
      case Defect::wrong_dtype: return Tensor(t.dtype() == DType::i32 ? DType::i8 : DType::i32, t.shape());
      case Defect::throw_scale:
      case Defect::throw_range: break;  // handled by reject_first()
    }
    return t;
  }
  Defect defect_;
  std::unique_ptr<Backend> reference_;
};

AffineCase quantize_case() {
  AffineCase c;
  c.op = AffineOpKind::quantize;
  c.input = Tensor::of<float>(Shape{2, 3}, {0.0f, 1.0f, -2.5f, 3.0f, 100.0f, -0.0f});
  c.params = QuantParams::for_type("i8", Tensor::of<float>(Shape{2, 1}, {0.5f, 2.0f}),
                                   Tensor::of<int32_t>(Shape{2, 1}, {0, 3}));
  return c;
}

TEST(Oracle, AcceptsAnIdenticalImplementation) {
  const TamperedBackend same(TamperedBackend::Defect::none);
  EXPECT_TRUE(check_affine(quantize_case(), same).ok);
}

TEST(Oracle, LocatesADifferentElement) {
  const TamperedBackend b(TamperedBackend::Defect::flip_last_element);
  const Verdict v = check_affine(quantize_case(), b);
  ASSERT_FALSE(v.ok);
  ASSERT_TRUE(v.mismatch.has_value());
  EXPECT_EQ(v.mismatch->flat, 5);
  EXPECT_EQ(v.mismatch->index, (std::vector<int64_t>{1, 2}));
  // x = -0.0 with scale 2, zero point 3: q = 3; the tampered value is 2.
  EXPECT_EQ(v.mismatch->expected, "3");
  EXPECT_EQ(v.mismatch->actual, "2");
  ASSERT_TRUE(v.mismatch->pre_rounding.has_value());
  EXPECT_EQ(*v.mismatch->pre_rounding, 0.0);
  EXPECT_NE(v.describe().find("scale[1, 0]"), std::string::npos) << v.describe();
}

TEST(Oracle, NegativeZeroIsADifference) {
  AffineCase c = quantize_case();
  c.op = AffineOpKind::dequantize;
  c.input = Tensor::of<int8_t>(Shape{2, 3}, {0, 1, 2, 3, 4, 5});
  const TamperedBackend b(TamperedBackend::Defect::negate_zero);
  const Verdict v = check_affine(c, b);
  EXPECT_FALSE(v.ok);
}

TEST(Oracle, ShapesAndDtypesAreNeverTolerated) {
  EXPECT_NE(check_affine(quantize_case(), TamperedBackend(TamperedBackend::Defect::wrong_shape))
                .headline.find("shape"),
            std::string::npos);
  EXPECT_NE(check_affine(quantize_case(), TamperedBackend(TamperedBackend::Defect::wrong_dtype))
                .headline.find("dtype"),
            std::string::npos);
}

TEST(Oracle, ErrorParity) {
  // Backend rejects a valid input.
  const Verdict accepts = check_affine(quantize_case(), TamperedBackend(TamperedBackend::Defect::throw_scale));
  EXPECT_FALSE(accepts.ok);
  EXPECT_NE(accepts.headline.find("reference accepts"), std::string::npos);
  // Both reject, but with different kinds: the reference says invalid_scale.
  AffineCase bad = quantize_case();
  bad.params.scale.data<float>()[0] = 0.0f;
  const Verdict kinds = check_affine(bad, TamperedBackend(TamperedBackend::Defect::throw_range));
  EXPECT_FALSE(kinds.ok);
  EXPECT_NE(kinds.headline.find("invalid_scale"), std::string::npos);
  // Both reject with the same kind.
  EXPECT_TRUE(check_affine(bad, TamperedBackend(TamperedBackend::Defect::throw_scale)).ok);
}

TEST(Oracle, ChooseQParamsOutputsAreCompared) {
  AffineCase c;
  c.op = AffineOpKind::choose_qparams;
  c.input = Tensor::of<float>(Shape{4}, {-1.0f, 0.5f, 2.0f, 3.0f});
  const Verdict v = check_affine(c, TamperedBackend(TamperedBackend::Defect::flip_last_element));
  ASSERT_FALSE(v.ok);
  EXPECT_EQ(v.mismatch->output, "scale");
}

}  // namespace
}  // namespace qdiff

#include "oracle/fused_oracle.h"

namespace qdiff {
namespace {

// x = w = 1 with s_x = s_w = 1e20 and s_out = 1e38: the ideal output is
// 1e40 / 1e38 = 100, but y = 1e40 is beyond f32, so no f32 epilogue can
// compute it; the oracle's bound is defined only inside the f32 domain
// (oracle/fused_bound.h) and accepts such outputs as tolerated. Inside the
// domain (s = 1e10) the same wrong value is a failure.
TEST(FusedOracle, OutsideTheF32DomainIsToleratedInsideIsNot) {
  class Saturating final : public Backend {
   public:
    std::string name() const override { return "saturating"; }
    Tensor quantize_affine(const Tensor&, const QuantParams&, Contract) const override { return {}; }
    Tensor dequantize_affine(const Tensor&, const QuantParams&, Contract) const override { return {}; }
    ChosenQParams choose_qparams_affine(const Tensor&, const ChooseQParamsArgs&) const override { return {}; }
    Tensor fake_quantize_affine(const Tensor&, const QuantParams&, Contract) const override { return {}; }
    Tensor qlinear(const QLinearArgs&) const override { return Tensor::of<int8_t>(Shape{1, 1}, {127}); }
  };
  QLinearArgs a;
  a.x = Tensor::of<int8_t>(Shape{1, 1}, {1});
  a.w = Tensor::of<int8_t>(Shape{1, 1}, {1});
  a.x_params = QuantParams::for_type("i8", Tensor::of<float>(Shape{}, {1e20f}));
  a.w_params = QuantParams::for_type("i8", Tensor::of<float>(Shape{}, {1e20f}));
  a.out_params = QuantParams::for_type("i8", Tensor::of<float>(Shape{}, {1e38f}));
  const Verdict outside = check_qlinear(a, Saturating());
  EXPECT_TRUE(outside.ok) << outside.describe();
  EXPECT_EQ(outside.tolerated, 1);
  a.x_params.scale = a.w_params.scale = Tensor::of<float>(Shape{}, {1e10f});
  a.out_params.scale = Tensor::of<float>(Shape{}, {1e18f});
  EXPECT_FALSE(check_qlinear(a, Saturating()).ok);
}

}  // namespace
}  // namespace qdiff
