"""Bookings (予約): the pure core. Plan, slots, check-in windows, ferry fitting and codes; no I/O, time passed in."""
