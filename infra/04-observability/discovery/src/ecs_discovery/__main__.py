"""`python -m ecs_discovery`: the sidecar, as its image runs it."""

from ecs_discovery.cli import main

main()
