// What fallback.behavior SeasonalNaive provisions for while the operator is blind: the peak
// demand of each slot of the UTC day (5 minutes, or one step when steps are longer) on the
// previous day. Fed with every sample the reconciler reads (the history of a refit and each
// step's new samples), so it knows yesterday as soon as the first refit has read the history,
// and it stops learning when Prometheus stops answering, which is when it is asked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tso::reconcile {

class DailyPeaks {
 public:
  static constexpr std::int64_t kSlotSeconds = 300;
  explicit DailyPeaks(std::int64_t stepSeconds);

  // Records a sample (non-finite values are ignored); samples may come in any order.
  void add(double time, double value);
  // The peak in the slot of `time` on the day before `time`'s day; nullopt when that slot
  // saw no sample that day.
  [[nodiscard]] std::optional<double> dayBefore(std::int64_t time) const;
  [[nodiscard]] std::size_t memoryBytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Visit {
    std::int32_t day = -1;  // unix day of the samples below, -1 = none
    float peak = 0;
  };
  // The two newest days that visited a slot: asked about "yesterday" while today is already
  // visiting the same slot, the older one answers.
  struct Slot {
    std::array<Visit, 2> visits{};
  };
  std::int64_t slotSeconds_;
  std::vector<Slot> slots_;
};

}  // namespace tso::reconcile
