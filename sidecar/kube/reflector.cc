#include "sidecar/kube/reflector.h"

#include <algorithm>

namespace kbgp::sidecar {

std::chrono::milliseconds NextBackoff(std::chrono::milliseconds current, std::mt19937* rng) {
  using std::chrono::milliseconds;
  milliseconds base = current.count() == 0 ? milliseconds(200)
                                           : std::min(milliseconds(5000), current * 2);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return milliseconds(static_cast<int64_t>(static_cast<double>(base.count()) * jitter(*rng)));
}

}  // namespace kbgp::sidecar
