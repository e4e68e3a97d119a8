"""`invoke docs`: terraform-docs's markdown table format, injected between the markers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ops.terraform.docs import BEGIN, END, DocsDrift, documented_roots, inject, load, markdown, update
from ops.terraform.layers import INFRA

MODULE = """\
terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "name" {
  description = "Service name."
  type        = string
}

variable "mode" {
  description = "blue | green"
  type        = string
  default     = "blue"
}

variable "rules" {
  description = <<-EOT
    Routing rules.
    One per host.
  EOT
  type = list(object({
    host = string
    port = optional(number, 80)
  }))
  default = [{ host = "a.example.com", port = 8080 }]
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_sqs_queue" "jobs" {
  name = var.name
}

data "aws_region" "current" {}

module "child" {
  source = "./child"
}

output "queue_url" {
  description = "Where jobs go."
  value       = aws_sqs_queue.jobs.url
}
"""

EXPECTED = """\
## Requirements

| Name | Version |
| ---- | ------- |
| <a name="requirement_terraform"></a> [terraform](#requirement_terraform) | >= 1.11 |
| <a name="requirement_aws"></a> [aws](#requirement_aws) | 5.100.0 |

## Providers

| Name | Version |
| ---- | ------- |
| <a name="provider_aws"></a> [aws](#provider_aws) | 5.100.0 |

## Modules

| Name | Source | Version |
| ---- | ------ | ------- |
| <a name="module_child"></a> [child](#module_child) | ./child | n/a |

## Resources

| Name | Type |
| ---- | ---- |
| [aws_sqs_queue.jobs](https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/sqs_queue) | resource |
| [aws_region.current](https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/data-sources/region) | data source |

## Inputs

| Name | Description | Type | Default | Required |
| ---- | ----------- | ---- | ------- | :------: |
| <a name="input_mode"></a> [mode](#input_mode) | blue \\| green | `string` | `"blue"` | no |
| <a name="input_name"></a> [name](#input_name) | Service name. | `string` | n/a | yes |
| <a name="input_rules"></a> [rules](#input_rules) | Routing rules.<br/>One per host. | <pre>list(object({<br/>    host = string<br/>    port = optional(number, 80)<br/>  }))</pre> | <pre>[<br/>  {<br/>    "host": "a.example.com",<br/>    "port": 8080<br/>  }<br/>]</pre> | no |
| <a name="input_tags"></a> [tags](#input_tags) | n/a | `map(string)` | `{}` | no |

## Outputs

| Name | Description |
| ---- | ----------- |
| <a name="output_queue_url"></a> [queue_url](#output_queue_url) | Where jobs go. |"""


def test_a_module_renders_like_terraform_docs_markdown_table(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MODULE)
    assert markdown(load(tmp_path)) == EXPECTED


def test_inject_keeps_the_hand_written_text_around_the_markers() -> None:
    readme = f"# title\n\nusage\n\n{BEGIN}\nold tables\n{END}\n\nfooter\n"
    assert inject(readme, "new") == f"# title\n\nusage\n\n{BEGIN}\nnew\n{END}\n\nfooter\n"
    with pytest.raises(ValueError, match="needs <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->"):
        inject("# no markers\n", "new")


def test_every_layer_and_module_readme_is_generated_and_current() -> None:
    names = {str(path.relative_to(path.parents[1])) for path in documented_roots()}
    assert names >= {"infra/01-base", "infra/02-traefik", "infra/03-services", "infra/04-observability"}
    assert "modules/ecs-service" in names
    assert update(check=True) == []


def test_check_names_the_readme_that_drifted_and_writing_fixes_it(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "main.tf").write_text(MODULE)
    (root / "README.md").write_text(f"# svc\n\n{BEGIN}\n{END}\n")
    with pytest.raises(DocsDrift, match=r"out of date in .*svc/README.md: run `invoke docs`"):
        update([root], check=True)
    assert update([root]) == [root / "README.md"]
    assert update([root], check=True) == []
    assert '| <a name="output_queue_url"></a>' in (root / "README.md").read_text()


def test_a_new_variable_makes_the_check_fail(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    shutil.copytree(INFRA / "modules" / "ecs-service", root)
    assert update([root], check=True) == []
    with (root / "variables.tf").open("a") as handle:
        handle.write('\nvariable "extra" {\n  type = bool\n}\n')
    with pytest.raises(DocsDrift):
        update([root], check=True)
