// `qdiff explain FILE`: a case file (or a fuzzer input, decoded through
// its target's generators) as a readable summary: every tensor and
// QuantParams with its layout, the reference's result, which
// implementations agree with it, and a pasteable GoogleTest regression.
#include <algorithm>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "adapters/optimized_backend.h"
#include "cases/case.h"
#include "cases/input_file.h"
#include "cases/printable_text.h"
#include "core/block_layout.h"
#include "fuzz/fuzz_driver.h"
#include "oracle/case_oracle.h"
#include "oracle/plugin_backend.h"
#include "oracle/process_backend.h"
#include "properties/property.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/graph_listing.h"

namespace qdiff::tools {
namespace {

constexpr int64_t kPrintLimit = 64;

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

std::string tensor_line(const Tensor& t) {
  std::string s = fmt::format("{} {}", dtype_name(t.dtype()), t.shape().str());
  if (t.numel() <= kPrintLimit) {
    std::vector<std::string> v;
    for (int64_t i = 0; i < t.numel(); ++i) {
      v.push_back(t.dtype() == DType::f32 ? fmt::format("{}", t.f32_at(i)) : fmt::format("{}", t.int_at(i)));
    }
    s += fmt::format(" = [{}]", fmt::join(v, ", "));
  } else {
    s += fmt::format(" ({} elements, not printed)", t.numel());
  }
  return s;
}

void print_params(std::string_view name, const QuantParams& p, const Shape& tensor_shape) {
  fmt::print("{:<12} scale {}\n", name, tensor_line(p.scale));
  if (p.zero_point) fmt::print("{:<12} zero point {}\n", "", tensor_line(*p.zero_point));
  fmt::print("{:<12} {} [{}, {}], zero_point_domain {}{}\n", "", dtype_name(p.dtype), p.quant_min,
             p.quant_max, domain_name(p.zero_point_domain),
             p.block_size ? fmt::format(", block_size [{}]", fmt::join(*p.block_size, ", ")) : "");
  try {
    const BlockLayout l = BlockLayout::derive(tensor_shape, p.scale.shape(), p.block_size);
    fmt::print("{:<12} layout {} (for a tensor of shape {})\n", "", l.describe(), tensor_shape.str());
  } catch (const Error& e) {
    fmt::print("{:<12} layout invalid for shape {}: {}: {}\n", "", tensor_shape.str(),
               error_kind_name(e.kind()), e.what());
  }
}

void print_activation(const Activation& a) {
  if (a.kind == ActivationKind::none) return;
  fmt::print("{:<12} {}{}\n", "activation", activation_name(a.kind),
             a.kind == ActivationKind::clamp ? fmt::format(" [{}, {}]", a.lo, a.hi) : "");
}

// The output shape of a fused case, when its shapes are valid (else the
// output params are shown against the empty shape).
Shape output_shape_of(const Case& c, const Backend& reference) {
  const CaseResult r = evaluate_case(c, reference);
  const auto it = r.outputs.find("output");
  return it == r.outputs.end() ? Shape{} : it->second.shape();
}

void print_case(const Case& c, const Backend& reference) {
  std::visit(Overloaded{
                 [&](const AffineCase& a) {
                   fmt::print("{:<12} {}\n", "input", tensor_line(a.input));
                   if (a.op == AffineOpKind::choose_qparams) {
                     const auto& ch = a.choose;
                     fmt::print("{:<12} {}, {} [{}, {}], domain {}, eps {}{}\n", "choose", mapping_name(ch.mapping),
                                dtype_name(ch.dtype), ch.quant_min, ch.quant_max,
                                domain_name(ch.zero_point_domain), ch.eps,
                                ch.block_size ? fmt::format(", block_size [{}]", fmt::join(*ch.block_size, ", ")) : "");
                     return;
                   }
                   fmt::print("{:<12} {}\n", "contract", contract_name(a.contract));
                   print_params("params", a.params, a.input.shape());
                 },
                 [&](const QLinearCase& q) {
                   const auto& a = q.args;
                   fmt::print("{:<12} {}\n", "x", tensor_line(a.x));
                   print_params("x_params", a.x_params, a.x.shape());
                   fmt::print("{:<12} {}\n", "w", tensor_line(a.w));
                   print_params("w_params", a.w_params, a.w.shape());
                   if (a.bias) fmt::print("{:<12} {}\n", "bias", tensor_line(*a.bias));
                   print_params("out_params", a.out_params, output_shape_of(c, reference));
                   print_activation(a.activation);
                 },
                 [&](const QConv2dCase& q) {
                   const auto& a = q.args;
                   fmt::print("{:<12} {}\n", "x", tensor_line(a.x));
                   print_params("x_params", a.x_params, a.x.shape());
                   fmt::print("{:<12} {}\n", "w", tensor_line(a.w));
                   print_params("w_params", a.w_params, a.w.shape());
                   if (a.bias) fmt::print("{:<12} {}\n", "bias", tensor_line(*a.bias));
                   fmt::print("{:<12} stride [{}], padding [{}], dilation [{}], groups {}\n", "conv",
                              fmt::join(a.attrs.stride, ", "), fmt::join(a.attrs.padding, ", "),
                              fmt::join(a.attrs.dilation, ", "), a.attrs.groups);
                   print_params("out_params", a.out_params, output_shape_of(c, reference));
                   print_activation(a.activation);
                 },
                 [&](const QElementwiseCase& q) {
                   const auto& a = q.args;
                   fmt::print("{:<12} {}\n", "a", tensor_line(a.a));
                   print_params("a_params", a.a_params, a.a.shape());
                   fmt::print("{:<12} {}\n", "b", tensor_line(a.b));
                   print_params("b_params", a.b_params, a.b.shape());
                   print_params("out_params", a.out_params, output_shape_of(c, reference));
                   print_activation(a.activation);
                 },
                 [&](const GraphCase& g) {
                   fmt::print("graph listing (values evaluated with the reference):\n{}", graph_listing(g));
                 },
             },
             c);
}

// Which fuzz target an input belongs to: named, from the path
// (corpus/<target>/..., qdiff-finding-<target>-..., <target>-crash-...), or
// the first target whose decoding yields a finding.
const fuzz::FuzzTarget* guess_target(const std::string& path, const std::optional<std::string>& named,
                                     const std::string& bytes, const Backend& backend) {
  if (named) return fuzz::find_fuzz_target(*named);
  const std::string p = std::filesystem::absolute(path).string();
  for (const auto& t : fuzz::property_fuzz_targets()) {
    const std::string n(t.name);
    if (p.find("/" + n + "/") != std::string::npos || p.find("/" + n + "-") != std::string::npos ||
        p.find("qdiff-finding-" + n + "-") != std::string::npos) {
      return &t;
    }
  }
  for (const auto& t : fuzz::property_fuzz_targets()) {
    if (fuzz::decode_and_run(t, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), backend)
            .finding()) {
      return &t;
    }
  }
  return nullptr;
}

std::string camel_case(std::string_view s) {
  std::string out;
  bool up = true;
  for (char ch : s) {
    if (ch == '_') {
      up = true;
      continue;
    }
    out += up ? char(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  return out;
}

std::string indent_continuation(const std::string& text) {
  std::string out;
  for (char ch : text) {
    out += ch;
    if (ch == '\n') out += "    ";
  }
  return out;
}

// Every ISA of impl/ this machine runs, and the outside backends asked
// for: the outside ones first, then the widest ISA.
std::vector<std::unique_ptr<Backend>> explain_backends(const std::string& backend_command,
                                                       double backend_timeout,
                                                       const std::string& backend_library) {
  std::vector<std::unique_ptr<Backend>> backends;
  for (impl::Isa isa : impl::kAllIsas) {
    if (!impl::isa_supported(isa)) continue;
    impl::ImplOptions o;
    o.isa = isa;
    backends.push_back(make_optimized_backend(o));
  }
  if (!backend_library.empty()) backends.push_back(load_plugin_backend(backend_library));
  if (!backend_command.empty()) {
    backends.push_back(
        start_process_backend({backend_command, std::chrono::milliseconds(int64_t(backend_timeout * 1000)), ""}));
  }
  std::reverse(backends.begin(), backends.end());
  return backends;
}

// The case of `bytes`: a case file, else a fuzz input that a target decodes
// (run once on `backend`). Sets `origin` to say which; nullopt after saying
// why not.
std::optional<CaseFile> read_explained_case(const std::string& path, const std::optional<std::string>& target,
                                            const std::string& bytes, Backend& backend, std::string& origin) {
  try {
    CaseFile f = parse_case_file(bytes);
    origin = "case file";
    return f;
  } catch (const Error& parse_error) {
    const fuzz::FuzzTarget* t = guess_target(path, target, bytes, backend);
    if (!t) {
      fmt::print(stderr, "{} is not a case file ({}) and no fuzz target reproduces a finding "
                         "from it; pass --target NAME\n", path, parse_error.what());
      return std::nullopt;
    }
    const auto r = fuzz::decode_and_run(*t, reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size(), backend);
    if (!r.run.reproducer) {
      fmt::print(stderr, "fuzz target {} decodes no case from {}\n", t->name, path);
      return std::nullopt;
    }
    origin = fmt::format("fuzz input for target {} ({})", t->name,
                         r.finding() ? "a finding: " + r.run.result.verdict.headline : "passes now");
    return CaseFile{*r.run.reproducer, r.property ? r.property->name : std::string()};
  }
}

// The case, its property, its tensors and the reference's result.
void print_case_and_expected(const std::string& path, const std::string& origin, const CaseFile& f) {
  const auto reference = make_reference_backend();
  fmt::print("{}: {}\n\n", path, origin);
  fmt::print("{:<12} {}\n", "case", case_summary(f.c));
  if (!f.property.empty()) {
    const props::Property* p = props::find_property(f.property);
    fmt::print("{:<12} {}{}\n", "property", escape_control_chars(f.property),
               p ? " (" + p->claim + ")" : " (unknown to this build)");
  }
  print_case(f.c, *reference);

  const CaseResult expected = evaluate_case(f.c, *reference);
  fmt::print("\nreference result:\n");
  if (expected.error_kind) {
    fmt::print("  error {}: {}\n", error_kind_name(*expected.error_kind), expected.error_message);
  }
  for (const auto& [name, t] : expected.outputs) fmt::print("  {:<10} {}\n", name, tensor_line(t));
}

// One line a backend; returns whether any fails.
bool print_verdicts(const CaseFile& f, const std::vector<std::unique_ptr<Backend>>& backends) {
  fmt::print("\nwhich implementations pass {}:\n",
             f.property.empty() ? "the oracle (reference vs implementation)" : f.property);
  bool any_fail = false;
  for (const auto& b : backends) {
    const props::CheckResult r = props::check_case_file(f, *b);
    any_fail |= r.failed();
    if (r.discarded) {
      fmt::print("  {:<22} outside the property's domain\n", b->name());
    } else if (r.verdict.ok) {
      fmt::print("  {:<22} passes{}\n", b->name(),
                 r.verdict.tolerated ? fmt::format(" ({} outputs within the derived rounding bound)", r.verdict.tolerated) : "");
    } else {
      fmt::print("  {:<22} FAILS: {}\n", b->name(), indent_continuation(r.verdict.describe()));
    }
  }
  return any_fail;
}

void print_regression_test(const std::string& path, const CaseFile& f, bool any_fail) {
  const std::string json = write_case_file(f);
  const std::string name = fmt::format("{}_{:08x}", camel_case(case_op_name(f.c)),
                                       uint32_t(std::hash<std::string>{}(json)));
  fmt::print("\nregression test (paste into tests/regressions_test.cc):\n\n");
  fmt::print(
      "// {}\n"
      "// Found by qdiff{}; {}.\n"
      "TEST(QdiffRegression, {}) {{\n"
      "  const qdiff::CaseFile f = qdiff::parse_case_file(R\"json({})json\");\n"
      "  for (const auto& optimized : OptimizedBackendsForEveryIsa()) {{\n"
      "    const qdiff::props::CheckResult r = qdiff::props::check_case_file(f, *optimized);\n"
      "    EXPECT_FALSE(r.failed()) << optimized->name() << \": \" << r.verdict.describe();\n"
      "  }}\n"
      "}}\n",
      case_summary(f.c), f.property.empty() ? "" : " (" + f.property + ")",
      any_fail ? "the optimized implementation failed on it" : "every implementation passes it now", name,
      json);
  fmt::print("\nor keep it as a corpus regression: cp {} {}/corpus/regressions/\n", path, QDIFF_SOURCE_DIR);
}

}  // namespace

int run_explain(const std::string& path, const std::optional<std::string>& target,
                const std::string& backend_command, double backend_timeout, const std::string& backend_library) {
  std::string bytes;
  try {
    bytes = read_input_file(path);
  } catch (const ReadError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitUsage;
  }
  const auto backends = explain_backends(backend_command, backend_timeout, backend_library);
  std::string origin;
  const std::optional<CaseFile> f = read_explained_case(path, target, bytes, *backends.front(), origin);
  if (!f) return 2;
  print_case_and_expected(path, origin, *f);
  const bool any_fail = print_verdicts(*f, backends);
  print_regression_test(path, *f, any_fail);
  return 0;
}

}  // namespace qdiff::tools
