#include "daemon/common/event_loop.h"

#include <utility>

#include "asio/post.hpp"

namespace kbgp {

EventLoop::EventLoop() : EventLoop(Options{}) {}

EventLoop::EventLoop(Options options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &real_clock_),
      guard_(asio::make_work_guard(io_)) {}

void EventLoop::Run() {
  loop_thread_ = std::this_thread::get_id();
  io_.restart();
  io_.run();
  loop_thread_ = std::thread::id();
}

bool EventLoop::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  loop_thread_ = std::this_thread::get_id();
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    // Bounded slices, so `done` is re-checked even when no handler runs.
    io_.run_for(std::chrono::milliseconds(10));
    if (io_.stopped()) io_.restart();
  }
  loop_thread_ = std::thread::id();
  return done();
}

void EventLoop::Stop() { io_.stop(); }

void EventLoop::Post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

bool EventLoop::InLoopThread() const { return loop_thread_ == std::this_thread::get_id(); }

LoopTimer::LoopTimer(EventLoop& loop)
    : loop_(loop), timer_(loop.context()), state_(std::make_shared<State>()) {}

LoopTimer::~LoopTimer() {
  state_->running = false;
  state_->fn = nullptr;
}

void LoopTimer::Start(std::chrono::milliseconds d, std::function<void()> fn) {
  const auto scaled = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      d * loop_.timer_scale());
  state_->generation++;
  state_->running = true;
  state_->fn = std::move(fn);
  timer_.expires_after(scaled);
  // The handler holds the state weakly: a destroyed timer's queued expiry finds nothing, and
  // the generation tells a stale expiry (stopped or restarted since) from the current one.
  std::weak_ptr<State> weak = state_;
  const uint64_t gen = state_->generation;
  timer_.async_wait([weak, gen](const std::error_code&) {
    std::shared_ptr<State> s = weak.lock();
    if (s == nullptr || !s->running || s->generation != gen) return;
    s->running = false;
    std::function<void()> callback = std::move(s->fn);
    s->fn = nullptr;
    callback();
  });
}

void LoopTimer::Stop() {
  if (!state_->running) return;
  state_->running = false;
  state_->generation++;
  state_->fn = nullptr;
  timer_.cancel();
}

}  // namespace kbgp
