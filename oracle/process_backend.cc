#include "oracle/process_backend.h"

#include <algorithm>
#include <deque>
#include <filesystem>

#include <fmt/format.h>

#include "cases/durable_file.h"
#include "oracle/line_process.h"
#include "oracle/plugin_backend.h"
#include "oracle/process_protocol.h"

namespace qdiff {
namespace {

// Requests kept per process, so an order-dependent failure can be replayed.
constexpr size_t kSequenceLength = 16;

class ProcessBackend final : public OutsideBackend {
 public:
  explicit ProcessBackend(ProcessBackendOptions o) : o_(std::move(o)), process_(o_.command, o_.timeout) {
    ensure_started();
  }

  std::string name() const override {
    return "process:" + (hello_.name.empty() ? o_.command : hello_.name);
  }

  Tensor quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return output_of(affine_case(AffineOpKind::quantize, x, p, c));
  }
  Tensor dequantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return output_of(affine_case(AffineOpKind::dequantize, x, p, c));
  }
  Tensor fake_quantize_affine(const Tensor& x, const QuantParams& p, Contract c) const override {
    return output_of(affine_case(AffineOpKind::fake_quantize, x, p, c));
  }
  ChosenQParams choose_qparams_affine(const Tensor& x, const ChooseQParamsArgs& a) const override {
    AffineCase c;
    c.op = AffineOpKind::choose_qparams;
    c.input = x;
    c.choose = a;
    CaseResult r = ask(c);
    ChosenQParams q{take_output(r, "scale"), std::nullopt};
    if (r.outputs.count("zero_point")) q.zero_point = take_output(r, "zero_point");
    return q;
  }
  Tensor qlinear(const QLinearArgs& a) const override { return output_of(QLinearCase{a}); }
  Tensor qconv2d(const QConv2dArgs& a) const override { return output_of(QConv2dCase{a}); }
  Tensor qelementwise(const QElementwiseArgs& a) const override { return output_of(QElementwiseCase{a}); }

  std::vector<std::string> graph_passes() const override {
    if (hello_.passes.empty()) throw NotApplicable(name() + " lists no graph passes");
    return hello_.passes;
  }
  Graph run_graph_pass(std::string_view pass, const Graph& g) const override {
    if (std::find(hello_.passes.begin(), hello_.passes.end(), pass) == hello_.passes.end()) {
      throw NotApplicable(fmt::format("{} lists no graph pass {}", name(), pass));
    }
    return transformed(pass, g);
  }
  Graph optimize_graph(const Graph& g) const override {
    if (hello_.passes.empty()) throw NotApplicable(name() + " lists no graph passes");
    return transformed(kPipelinePass, g);
  }
  std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs) const override {
    CaseResult r = ask(GraphCase{g, inputs});
    std::vector<Tensor> out;
    for (size_t k = 0; k < g.outputs.size(); ++k) out.push_back(take_output(r, graph_output_name(k)));
    return out;
  }

  // The requests of the current process, oldest first (at most the last 16),
  // and how many were sent in all: a caller tells its own by the count.
  std::vector<std::string> recent() const { return {sequence_.begin(), sequence_.end()}; }
  size_t sent() const { return sent_; }
  // Sends each request and ignores its answer (it only sets up state).
  void send_ignoring_answers(const std::vector<std::string>& requests) const {
    for (const auto& r : requests) {
      try {
        answer_to(r);
      } catch (const std::exception&) {
        // A failure while setting up is reported by the request that follows.
      }
    }
  }

  // The hello and `sequence` as sequence_dir/file_name; the text says how to
  // replay it (or why it was not saved).
  std::string save_sequence(const std::vector<std::string>& sequence,
                            const std::string& file_name = "process-sequence.jsonl") const {
    if (o_.sequence_dir.empty()) return " (sequence not saved)";
    std::string text = hello_request() + "\n";
    for (const auto& r : sequence) text += r + "\n";
    // One file, the latest: shrinking meets such failures many times, and
    // the one reported last is the one the finding's message quotes.
    const auto path = std::filesystem::path(o_.sequence_dir) / file_name;
    try {
      write_file_durably(path.string(), text);
    } catch (const WriteError& e) {
      return fmt::format(" (sequence NOT SAVED: {})", e.what());
    }
    return fmt::format("; the last {} requests replay it: {} < {}", sequence.size(), o_.command, path.string());
  }

 private:
  static AffineCase affine_case(AffineOpKind op, const Tensor& x, const QuantParams& p, Contract c) {
    return AffineCase{.op = op, .contract = c, .input = x, .params = p, .choose = {}};
  }

  Tensor output_of(const Case& c) const {
    CaseResult r = ask(c);
    return take_output(r, "output");
  }
  Tensor take_output(CaseResult& r, const std::string& key) const {
    const auto it = r.outputs.find(key);
    if (it == r.outputs.end()) throw ProcessFailure(fmt::format("malformed answer: no output \"{}\"", key));
    return std::move(it->second);
  }

  // One op request: the case itself. An error answer is thrown as the
  // Error it names, so the oracle compares its kind with the reference's.
  CaseResult ask(const Case& c) const {
    const std::string op = case_op_name(c);
    if (std::find(hello_.ops.begin(), hello_.ops.end(), op) == hello_.ops.end()) {
      throw NotApplicable(fmt::format("{} lists no op {}", name(), op));
    }
    require_contract(c);
    Answer a = exchange(case_request(c));
    if (auto* declined = std::get_if<Declined>(&a)) throw NotApplicable(name() + " declines: " + declined->why);
    if (std::holds_alternative<Graph>(a)) throw malformed("a graph answers an op request");
    return result_or_throw(std::move(std::get<CaseResult>(a)));
  }

  // A backend whose hello does not list "qlinear_contract" in "reads" was
  // written before the member existed and would ignore it: only the default
  // contract is sent to it.
  void require_contract(const Case& c) const {
    const QLinearContract* contract = nullptr;
    if (const auto* q = std::get_if<QLinearCase>(&c)) contract = &q->args.contract;
    if (const auto* q = std::get_if<QConv2dCase>(&c)) contract = &q->args.contract;
    if (!contract || contract->is_default()) return;
    if (std::find(hello_.reads.begin(), hello_.reads.end(), kReadsQLinearContract) != hello_.reads.end()) return;
    throw NotApplicable(fmt::format("{} does not read qlinear_contract (hello \"reads\"): a case with {} "
                                    "is not sent", name(), describe(*contract)));
  }

  Graph transformed(std::string_view pass, const Graph& g) const {
    Answer a = exchange(graph_pass_request(pass, g));
    if (auto* declined = std::get_if<Declined>(&a)) throw NotApplicable(name() + " declines: " + declined->why);
    if (auto* graph = std::get_if<Graph>(&a)) return std::move(*graph);
    result_or_throw(std::move(std::get<CaseResult>(a)));
    throw malformed("outputs answer a graph-pass request");
  }

  CaseResult result_or_throw(CaseResult r) const {
    if (r.error_kind) throw Error(*r.error_kind, fmt::format("{}: {}", name(), r.error_message));
    return r;
  }

  ProcessFailure malformed(const std::string& what) const {
    process_.stop();
    return ProcessFailure("malformed answer: " + what);
  }

  // --- the process: start, exchange, rerun on failure ------------------------

  void ensure_started() const {
    if (process_.running()) return;
    sequence_.clear();
    process_.start();
    // Start-up (an interpreter, a library load) is not a request: the
    // hello gets at least the default timeout, whatever --backend-timeout says.
    const std::string line = process_.exchange(hello_request(), std::max(o_.timeout, kDefaultProcessTimeout));
    try {
      hello_ = parse_hello(line);
    } catch (const Error& e) {
      process_.stop();
      throw ProcessFailure(fmt::format("malformed hello answer: {}", e.what()));
    }
  }

  Answer answer_to(const std::string& request) const {
    ensure_started();
    ++sent_;
    sequence_.push_back(request);
    if (sequence_.size() > kSequenceLength) sequence_.pop_front();
    const std::string line = process_.exchange(request);
    try {
      return parse_answer(line);
    } catch (const Error& e) {
      throw malformed(fmt::format("{} (answer: \"{}\")", e.what(), line.substr(0, 120)));
    }
  }

  Answer exchange(const std::string& request) const {
    try {
      return answer_to(request);
    } catch (const ProcessFailure& f) {
      const std::vector<std::string> sequence(sequence_.begin(), sequence_.end());
      throw ProcessFailure(std::string(f.what()) + rerun_in_fresh_process(sequence, f.what()));
    }
  }

  // The failure's second opinion: the last request of `sequence` alone in
  // a fresh process.
  std::string rerun_in_fresh_process(const std::vector<std::string>& sequence, const std::string& first_failure) const {
    if (sequence.size() <= 1) return "; it was the first request of a fresh process";
    process_.stop();
    try {
      answer_to(sequence.back());
    } catch (const ProcessFailure& again) {
      if (std::string(again.what()).starts_with(first_failure)) {
        return "; deterministic: a fresh process fails on this request the same way";
      }
      return fmt::format("; deterministic: a fresh process fails on this request too ({})", again.what());
    } catch (const std::exception&) {
      // Declined or an error answer: the fresh process did not fail.
    }
    return fmt::format("; depends on earlier requests: a fresh process answers this one{}", save_sequence(sequence));
  }

  ProcessBackendOptions o_;
  mutable LineProcess process_;
  mutable Hello hello_;
  mutable std::deque<std::string> sequence_;  // requests of the current process
  mutable size_t sent_ = 0;
};

const ProcessBackend& as_process(const Backend& b) {
  const auto* p = dynamic_cast<const ProcessBackend*>(&b);
  if (!p) throw std::logic_error(b.name() + " is not a process backend");
  return *p;
}

}  // namespace

std::vector<std::string> recent_requests(const Backend& backend) { return as_process(backend).recent(); }
size_t requests_sent(const Backend& backend) { return as_process(backend).sent(); }
void send_requests(const Backend& backend, const std::vector<std::string>& requests) {
  as_process(backend).send_ignoring_answers(requests);
}
std::string save_request_sequence(const Backend& backend, const std::vector<std::string>& requests,
                                  const std::string& file_name) {
  return as_process(backend).save_sequence(requests, file_name);
}

std::unique_ptr<Backend> start_process_backend(const ProcessBackendOptions& options) {
  try {
    return std::make_unique<ProcessBackend>(options);
  } catch (const ProcessFailure& f) {
    throw std::runtime_error(fmt::format("backend command '{}' does not start: {}", options.command, f.what()));
  }
}

}  // namespace qdiff
