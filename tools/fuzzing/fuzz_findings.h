// Turns what a libFuzzer run left behind (crash-, timeout-, oom-, leak-
// inputs and the qdiff-finding-*.json case files the targets save) into
// regression case files: corpus/regressions/fuzz/<target>-<hash>.json by
// default (`qdiff fuzz`, docs/fuzzing.md). A raw input of a property target
// is decoded through the target's generators (draw only: a timeout's case
// is recorded without running it again); a case-file target's input is the
// case file itself, and its raw bytes are also kept as a seed of the
// target, since they are the exact reproducer of a parser finding.
// Decoding runs in a forked child with an alarm, so an input that crashes
// or hangs the decoder cannot take the command down.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/content_hash.h"  // stable_hash_hex names the case files
#include "cases/case.h"

namespace qdiff::tools {

enum class ArtifactKind { qdiff_finding, crash, timeout, oom, leak };
std::string_view artifact_kind_name(ArtifactKind kind);

struct Artifact {
  ArtifactKind kind;
  std::string path;
};

// The artifacts in a findings directory (not recursive), sorted by path.
// libFuzzer's slow-unit-* files are not findings and are left out.
std::vector<Artifact> list_artifacts(const std::string& dir);

// A raw input of a property target decoded into the case it would run
// (nullopt for an unknown target or a generator that throws).
std::optional<CaseFile> decode_fuzz_input(std::string_view target, std::string_view bytes);

struct RecordedFinding {
  Artifact artifact;
  std::string case_file;      // the regression case file ("" if none could be made)
  bool already_recorded = false;  // that file existed with the same content
  std::string seed_file;      // the raw input kept as a seed (case-file targets)
  std::string property;       // the property the case file names, if any
  std::string summary;        // case_summary() of the case
  std::string problem;        // why no case file was made
  std::string reproduced;     // set by `qdiff fuzz` after rerunning the input
  std::string reason;         // set by `qdiff fuzz`: why the rerun failed
};

// Records one artifact of `target`: the case file goes to regressions_dir,
// a case-file target's raw bytes to seeds_dir. Never throws, never crashes.
RecordedFinding record_finding(const std::string& target, const Artifact& artifact,
                               const std::string& regressions_dir, const std::string& seeds_dir);

}  // namespace qdiff::tools
