"""Patches of Application Auto Scaling, each naming the provider call or AWS document it serves."""

from __future__ import annotations

import json


def patch_application_autoscaling() -> None:
    """aws_appautoscaling_target: the provider sends Tags with RegisterScalableTarget (and
    tags later with TagResource), then reads them with ListTagsForResource; moto 5.2
    implements none of it, so a plan would re-add the default tags forever."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    register = ApplicationAutoScalingResponse.register_scalable_target

    def tags_of(self: ApplicationAutoScalingResponse, arn: str) -> dict[str, str]:
        store: dict[str, dict[str, str]] = self.applicationautoscaling_backend.__dict__.setdefault(
            "_tags", {}
        )
        return store.setdefault(arn, {})

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        answer = register(self)
        tags_of(self, json.loads(answer)["ScalableTargetARN"]).update(self._get_param("Tags") or {})
        return answer

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": tags_of(self, self._get_param("ResourceARN"))})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags_of(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = tags_of(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
