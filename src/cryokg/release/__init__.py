"""Stage 3, the release: build = load, reason, check, write (writers, exports, diagrams, VoID, atomic swap)."""
