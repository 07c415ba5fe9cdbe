#include "tools/fuzzing/fuzz_findings.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cases/durable_file.h"
#include "cases/input_file.h"
#include "core/error.h"
#include "fuzz/fuzz_driver.h"
#include "properties/fdp_source.h"
#include "properties/property.h"

namespace qdiff::tools {
namespace fs = std::filesystem;
namespace {

// A decode that takes longer than this is itself a finding (the generators
// draw a bounded case); the child is killed and the raw input kept.
constexpr unsigned kDecodeAlarmSeconds = 30;

std::optional<ArtifactKind> kind_of(const std::string& name) {
  if (name.rfind("qdiff-finding-", 0) == 0 && name.ends_with(".json")) {
    return ArtifactKind::qdiff_finding;
  }
  if (name.rfind("crash-", 0) == 0) return ArtifactKind::crash;
  if (name.rfind("timeout-", 0) == 0) return ArtifactKind::timeout;
  if (name.rfind("oom-", 0) == 0) return ArtifactKind::oom;
  if (name.rfind("leak-", 0) == 0) return ArtifactKind::leak;
  return std::nullopt;
}

// Writes `text` to `path` (cases/durable_file.h) unless the file already
// holds exactly that; returns whether it was already there.
bool write_unless_same(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && read_input_file(path) == text) return true;
  write_file_durably(path, text);
  return false;
}

// The work done in the child: decode, write the files, describe them.
RecordedFinding record_in_process(const std::string& target, const Artifact& a,
                                  const std::string& regressions_dir, const std::string& seeds_dir) {
  RecordedFinding r;
  const std::string bytes = read_input_file(a.path);
  std::optional<CaseFile> file;
  std::string not_a_case;
  const bool property_target = fuzz::find_fuzz_target(target) != nullptr;
  if (a.kind == ArtifactKind::qdiff_finding || !property_target) {
    if (!property_target && a.kind != ArtifactKind::qdiff_finding) {
      // A case-file target's input is the exact reproducer (a parser
      // finding may not survive canonical rewriting): keep it as a seed.
      r.seed_file = fmt::format("{}/finding-{}", seeds_dir, stable_hash_hex(bytes));
      write_unless_same(r.seed_file, bytes);
    }
    try {
      file = parse_case_file(bytes);
    } catch (const Error& e) {
      not_a_case = fmt::format("not a case file: {}: {}", error_kind_name(e.kind()), e.what());
    } catch (const std::exception& e) {
      not_a_case = fmt::format("not a case file: {}", e.what());
    }
  } else {
    file = decode_fuzz_input(target, bytes);
    if (!file) not_a_case = "the target's generators cannot decode it";
  }
  if (!file) {
    r.problem = "no case file: " + not_a_case;
    return r;
  }
  const std::string text = write_case_file(*file);
  r.case_file = fmt::format("{}/{}-{}.json", regressions_dir, target, stable_hash_hex(text));
  r.already_recorded = write_unless_same(r.case_file, text);
  r.property = file->property;
  r.summary = case_summary(file->c);
  return r;
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s;
}

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

}  // namespace

std::string_view artifact_kind_name(ArtifactKind kind) {
  switch (kind) {
    case ArtifactKind::qdiff_finding: return "qdiff finding";
    case ArtifactKind::crash: return "crash";
    case ArtifactKind::timeout: return "timeout";
    case ArtifactKind::oom: return "out of memory";
    case ArtifactKind::leak: return "leak";
  }
  return "?";
}

std::vector<Artifact> list_artifacts(const std::string& dir) {
  std::vector<Artifact> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    if (const auto kind = kind_of(e.path().filename().string())) out.push_back({*kind, e.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const Artifact& x, const Artifact& y) { return x.path < y.path; });
  return out;
}

std::optional<CaseFile> decode_fuzz_input(std::string_view target_name, std::string_view bytes) {
  const fuzz::FuzzTarget* target = fuzz::find_fuzz_target(target_name);
  if (!target) return std::nullopt;
  // The first half of fuzz::decode_and_run (fuzz/fuzz_driver.cc), without
  // the check; tests/tools_fuzz_test.cc pins the two together.
  FuzzedDataProvider fdp(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  props::FdpSource src(fdp);
  const props::Property* p = props::find_property(target->properties[src.index(target->properties.size())]);
  if (!p) return std::nullopt;
  try {
    return CaseFile{p->draw(src), p->name};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

RecordedFinding record_finding(const std::string& target, const Artifact& artifact,
                               const std::string& regressions_dir, const std::string& seeds_dir) {
  RecordedFinding r;
  r.artifact = artifact;
  int fds[2];
  if (pipe(fds) != 0) {
    r.problem = fmt::format("no case file: pipe failed: {}", std::strerror(errno));
    return r;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    r.problem = fmt::format("no case file: fork failed: {}", std::strerror(errno));
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(kDecodeAlarmSeconds);
    std::string msg;
    try {
      const RecordedFinding c = record_in_process(target, artifact, regressions_dir, seeds_dir);
      msg = fmt::format("case_file\t{}\nalready\t{}\nseed_file\t{}\nproperty\t{}\nsummary\t{}\nproblem\t{}\n",
                        one_line(c.case_file), c.already_recorded ? 1 : 0, one_line(c.seed_file),
                        one_line(c.property), one_line(c.summary), one_line(c.problem));
    } catch (const std::exception& e) {
      msg = fmt::format("problem\tno case file: {}\n", one_line(e.what()));
    }
    write_all(fds[1], msg);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, size_t(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    r.problem = WTERMSIG(status) == SIGALRM
                    ? fmt::format("no case file: decoding it took over {} s", kDecodeAlarmSeconds)
                    : fmt::format("no case file: decoding it crashed ({})", strsignal(WTERMSIG(status)));
    return r;
  }
  std::map<std::string, std::string> fields;
  size_t start = 0;
  for (size_t nl; (nl = reply.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = reply.substr(start, nl - start);
    const auto tab = line.find('\t');
    if (tab != std::string::npos) fields[line.substr(0, tab)] = line.substr(tab + 1);
  }
  r.case_file = fields["case_file"];
  r.already_recorded = fields["already"] == "1";
  r.seed_file = fields["seed_file"];
  r.property = fields["property"];
  r.summary = fields["summary"];
  r.problem = fields["problem"];
  if (r.case_file.empty() && r.problem.empty()) r.problem = "no case file: the decoder gave no answer";
  return r;
}

}  // namespace qdiff::tools
