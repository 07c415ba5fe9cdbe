// case_summary (cases/case.h): one line naming the op, every tensor's
// dtype and shape, each QuantParams with its layout (or why it has none),
// the output shape the op would produce, conv attributes and activation.
// Expected layouts and output shapes are worked by hand in the comments.
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case.h"

namespace qdiff {
namespace {

QuantParams params(Tensor scale, const char* type = "i8") {
  return QuantParams::for_type(type, std::move(scale));
}
Tensor scalar(float s) { return Tensor::of<float>(Shape{}, {s}); }
Tensor ones(const Shape& shape) {
  Tensor t(DType::f32, shape);
  for (float& v : t.data<float>()) v = 1.0f;
  return t;
}

void expect_parts(const std::string& summary, const std::vector<std::string>& parts) {
  EXPECT_EQ(summary.find('\n'), std::string::npos) << summary;
  for (const std::string& part : parts) {
    EXPECT_NE(summary.find(part), std::string::npos) << "\"" << part << "\" not in: " << summary;
  }
}

QLinearCase qlinear() {
  QLinearArgs a;
  a.x = Tensor(DType::u8, Shape{5, 2, 6});
  a.x_params = params(ones({5, 2, 1}), "u8");  // per-row
  a.w = Tensor(DType::i8, Shape{4, 6});
  a.w_params = params(ones({4, 3}), "i4");     // per-group, g = 6 / 3 = 2
  a.bias = Tensor(DType::f32, Shape{4});
  a.out_params = params(ones({1, 1, 4}));      // per-channel along the last dim
  a.activation = {ActivationKind::clamp, -1.5f, 6.0f};
  return {a};
}

TEST(FusedCaseSummary, QLinearNamesEveryOperandAndLayout) {
  // x [5, 2, 6] with scale [5, 2, 1]: two varying dims, both block 1 ->
  // blockwise (one scale per row of 6); w [4, 6] with [4, 3]: channel dim 0
  // (block 1), group dim 1 (block 2) -> per_group; the output is
  // x.shape[:-1] + [K] = [5, 2, 4], its [1, 1, 4] scale varies along dim 2
  // with block 1 -> per_channel axis 2.
  expect_parts(case_summary(qlinear()),
               {"qlinear | ", "x u8 [5, 2, 6]", "x_params scale [5, 2, 1] u8 [0, 255] int: blockwise, block [1, 1, 6], scale [5, 2, 1]", "w i8 [4, 6]",
                "w_params scale [4, 3] i8 [-8, 7] int: per_group channel dim 0 group dim 1 (g = 2)",
                "bias f32 [4]", "out [5, 2, 4]",
                "out_params scale [1, 1, 4] i8 [-128, 127] int: per_channel axis 2, block [5, 2, 1]",
                "activation clamp [-1.5, 6]"});
  QLinearCase q = qlinear();
  q.args.bias.reset();
  q.args.activation = {};
  expect_parts(case_summary(q), {"| no bias |", "| activation none"});
  q.args.activation = {ActivationKind::relu, 0.0f, 0.0f};
  expect_parts(case_summary(q), {"| activation relu"});
}

TEST(FusedCaseSummary, InvalidLayoutsAndOutputShapesSayWhy) {
  QLinearCase q = qlinear();
  q.args.w_params.scale = ones({4, 4});  // 6 % 4 != 0
  expect_parts(case_summary(q), {"w_params scale [4, 4] i8 [-8, 7] int: invalid layout: "});
  q = qlinear();
  q.args.w = Tensor(DType::i8, Shape{4, 6, 1});  // w must have rank 2: no output shape
  expect_parts(case_summary(q),
               {"out ? | out_params scale [1, 1, 4] i8 [-128, 127] int: output shape unknown: "
                "qlinear needs x of rank >= 1 and w of rank 2, got [5, 2, 6] and [4, 6, 1]"});
  q = qlinear();
  q.args.x = Tensor(DType::u8, Shape{});
  expect_parts(case_summary(q), {"output shape unknown: qlinear needs x of rank >= 1"});

  QElementwiseArgs e;
  e.op = ElementwiseOp::add;
  e.a = Tensor(DType::i8, Shape{2});
  e.b = Tensor(DType::i8, Shape{3});
  e.a_params = e.b_params = e.out_params = params(scalar(1.0f));
  expect_parts(case_summary(QElementwiseCase{e}),
               {"qadd | ", "out ? | ", "output shape unknown: shapes [2] and [3] do not broadcast"});
}

TEST(FusedCaseSummary, QConv2dOutputShapeAndAttributes) {
  QConv2dArgs a;
  a.x = Tensor(DType::u8, Shape{1, 4, 5, 7});
  a.x_params = params(scalar(0.5f), "u8");
  a.w = Tensor(DType::i8, Shape{6, 2, 3, 2});
  a.w_params = params(ones({6, 1, 1, 1}));
  a.out_params = params(ones({1, 6, 1, 1}));
  a.attrs.stride = {2, 3};
  a.attrs.padding = {1, 0, 2, 1};
  a.attrs.dilation = {2, 1};
  a.attrs.groups = 2;
  a.activation = {ActivationKind::relu, 0.0f, 0.0f};
  // OH = (5 + 1 + 2 - 2 * (3 - 1) - 1) / 2 + 1 = 3 / 2 + 1 = 2;
  // OW = (7 + 0 + 1 - 1 * (2 - 1) - 1) / 3 + 1 = 6 / 3 + 1 = 3.
  expect_parts(case_summary(QConv2dCase{a}),
               {"qconv2d | ", "x u8 [1, 4, 5, 7]", "x_params scale [] u8 [0, 255] int: per_tensor",
                "w i8 [6, 2, 3, 2]", "w_params scale [6, 1, 1, 1] i8 [-128, 127] int: per_channel axis 0",
                "no bias", "out [1, 6, 2, 3]",
                "out_params scale [1, 6, 1, 1] i8 [-128, 127] int: per_channel axis 1",
                "stride [2, 3] padding [1, 0, 2, 1] dilation [2, 1] groups 2",
                "activation relu"});

  // A kernel wider than the padded input: the dilated kernel spans
  // 9 * (2 - 1) + 1 = 10 columns of 7 + 0 + 1 = 8 padded ones.
  QConv2dArgs wide = a;
  wide.attrs.dilation = {1, 9};
  expect_parts(case_summary(QConv2dCase{wide}),
               {"out ? | ", "output shape unknown: output width would be < 1 (the kernel spans 10 of 8 padded)"});
  // Attributes the op rejects.
  QConv2dArgs bad = a;
  bad.attrs.stride = {0, 1};
  expect_parts(case_summary(QConv2dCase{bad}),
               {"output shape unknown: output height needs stride >= 1",
                "stride [0, 1] padding [1, 0, 2, 1]"});
  bad = a;
  bad.attrs.padding = {std::numeric_limits<int64_t>::max(), 0, 1, 0};
  expect_parts(case_summary(QConv2dCase{bad}), {"output shape unknown: output height overflows int64"});
  bad = a;
  bad.attrs.dilation = {std::numeric_limits<int64_t>::max(), 1};
  expect_parts(case_summary(QConv2dCase{bad}), {"output shape unknown: output height overflows int64"});
  bad = a;
  bad.w = Tensor(DType::i8, Shape{6, 2, 3});
  expect_parts(case_summary(QConv2dCase{bad}),
               {"output shape unknown: qconv2d needs x and w of rank 4, got [1, 4, 5, 7] and [6, 2, 3]"});
}

TEST(FusedCaseSummary, ElementwiseBroadcastShape) {
  QElementwiseArgs e;
  e.op = ElementwiseOp::mul;
  e.a = Tensor(DType::i8, Shape{3, 1});
  e.a_params = params(ones({3, 1}));
  e.b = Tensor(DType::u8, Shape{2, 1, 4});
  e.b_params = params(scalar(0.25f), "u4");
  e.out_params = params(ones({1, 3, 1}));
  e.activation = {ActivationKind::clamp, -std::numeric_limits<float>::infinity(), 0.0f};
  // [3, 1] and [2, 1, 4] broadcast to [2, 3, 4]; [1, 3, 1] varies on dim 1
  // only, with block 1 -> per_channel axis 1.
  expect_parts(case_summary(QElementwiseCase{e}),
               {"qmul | ", "a i8 [3, 1]", "a_params scale [3, 1] i8 [-128, 127] int: per_channel axis 0",
                "b u8 [2, 1, 4]", "b_params scale [] u8 [0, 15] int: per_tensor", "out [2, 3, 4]",
                "out_params scale [1, 3, 1] i8 [-128, 127] int: per_channel axis 1, block [2, 1, 4]",
                "activation clamp [-inf, 0]"});
}

}  // namespace
}  // namespace qdiff
