"""Delivery: images built and pushed, rollouts, changed files, workflows, pinned dependencies."""
