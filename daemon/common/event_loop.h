// The core event loop: one thread runs EventLoop::Run() and owns every socket, FSM and RIB
// (DESIGN.md "Data flow and threads"). Other threads reach it only through Post().
//
// Time is injected: Clock gives steady time (RealClock, or FakeClock in tests), and timers are
// made through the loop (LoopTimer), which scales every duration by `timer_scale` so tests can
// run protocol timers (whole seconds in BGP) in a fraction of the time.
//
// Invariants: LoopTimer callbacks run on the loop thread, never re-entrantly from Start() or
// Stop(); a stopped or destroyed timer never calls its callback, even if its deadline had
// already passed and the expiry was queued.
#ifndef KBGP_DAEMON_COMMON_EVENT_LOOP_H_
#define KBGP_DAEMON_COMMON_EVENT_LOOP_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "asio/io_context.hpp"
#include "asio/steady_timer.hpp"

namespace kbgp {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class RealClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_{};
};

class EventLoop {
 public:
  struct Options {
    // Every LoopTimer duration is multiplied by this (tests: 0.1 turns 3 s into 300 ms).
    double timer_scale = 1.0;
    // Null: a RealClock owned by the loop. Not owned.
    const Clock* clock = nullptr;
  };
  EventLoop();
  explicit EventLoop(Options options);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers on the calling thread (the core thread) until Stop(). Keeps running while
  // idle: a work guard holds the loop open.
  void Run();
  // Runs handlers until `done()` is true or `timeout` passes (tests). Returns done().
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Thread-safe: makes Run() return after the handler that is running now.
  void Stop();
  // Thread-safe: runs fn on the loop thread.
  void Post(std::function<void()> fn);

  bool InLoopThread() const;
  const Clock& clock() const { return *clock_; }
  double timer_scale() const { return options_.timer_scale; }
  asio::io_context& context() { return io_; }

 private:
  Options options_;
  RealClock real_clock_;
  const Clock* clock_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::atomic<std::thread::id> loop_thread_{};
};

// A one-shot timer on the loop; restartable. Use only on the loop thread.
class LoopTimer {
 public:
  explicit LoopTimer(EventLoop& loop);
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // (Re)arms the timer: fn runs once, `d` (scaled by the loop's timer_scale) from now.
  void Start(std::chrono::milliseconds d, std::function<void()> fn);
  void Stop();
  bool running() const { return state_->running; }

 private:
  struct State {
    uint64_t generation = 0;
    bool running = false;
    std::function<void()> fn;
  };
  EventLoop& loop_;
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_EVENT_LOOP_H_
