#include "shard/optimizations.h"

#include <algorithm>
#include <chrono>

#include "strata/sdk/uuid.hpp"

namespace strata::kernel {

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomUuid() { return sdk::RandomUuidV4(); }

std::shared_ptr<OptimizationLog::Run> OptimizationLog::Start(const std::string& optimizer,
                                                             const std::string& segment_uuid,
                                                             uint64_t points) {
  auto run = std::make_shared<Run>();
  run->view_.uuid = RandomUuid();
  run->view_.optimizer = optimizer;
  run->view_.segment_uuid = segment_uuid;
  run->view_.segment_points = points;
  run->started_ms_ = UnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  running_.push_back(run);
  return run;
}

OptimizationLog::Step* OptimizationLog::AddStep(Run* run, const std::string& name, bool counted) {
  const int64_t now = UnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (!run->steps_.empty() && run->steps_.back().finished_ms_ == 0) {
    run->steps_.back().finished_ms_ = now;
  }
  Step& s = run->steps_.emplace_back();
  s.name_ = name;
  s.started_ms_ = now;
  s.counted_ = counted;
  return &s;
}

void OptimizationLog::Finish(Run* run, OptimizationView::Status status,
                             const std::string& message) {
  const int64_t now = UnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (!run->steps_.empty() && run->steps_.back().finished_ms_ == 0) {
    run->steps_.back().finished_ms_ = now;
  }
  run->finished_ms_ = now;
  run->view_.status = status;
  run->view_.message = message;
  auto it = std::find_if(running_.begin(), running_.end(),
                         [run](const std::shared_ptr<Run>& r) { return r.get() == run; });
  if (it == running_.end()) return;
  completed_.push_front(*it);
  running_.erase(it);
  while (completed_.size() > kMaxCompleted) completed_.pop_back();
}

ProgressView OptimizationLog::ViewOf(const Step& s) const {
  ProgressView v;
  v.name = s.name_;
  v.started_ms = s.started_ms_;
  v.finished_ms = s.finished_ms_;
  if (s.counted_) {
    v.total = s.counter_.total.load(std::memory_order_relaxed);
    v.done = std::min(*v.total, s.counter_.done.load(std::memory_order_relaxed));
  }
  return v;
}

OptimizationView OptimizationLog::ViewOf(const Run& r) const {
  OptimizationView v = r.view_;
  v.progress.name = r.view_.optimizer;
  v.progress.started_ms = r.started_ms_;
  v.progress.finished_ms = r.finished_ms_;
  for (const Step& s : r.steps_) v.progress.children.push_back(ViewOf(s));
  return v;
}

std::vector<OptimizationView> OptimizationLog::Running() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OptimizationView> out;
  for (const auto& r : running_) out.push_back(ViewOf(*r));
  return out;
}

std::vector<OptimizationView> OptimizationLog::Completed(size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OptimizationView> out;
  for (const auto& r : completed_) {
    if (out.size() >= limit) break;
    out.push_back(ViewOf(*r));
  }
  return out;
}

}  // namespace strata::kernel
