//! Unit tests of the live panel detail, the round labels, progress and the approval gate.
