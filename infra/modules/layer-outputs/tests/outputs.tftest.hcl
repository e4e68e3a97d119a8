# Module logic with a mock provider set: no credentials, no emulator, plan only.

override_data {
  target = data.terraform_remote_state.this
  values = {
    outputs = { cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-platform" }
  }
}

variables {
  layer        = "01-base"
  state_bucket = "dev-platform-state-123456789012"
  region       = "us-east-1"
}

run "the_layers_outputs_are_passed_through" {
  command = plan

  assert {
    condition     = output.outputs.cluster_arn == "arn:aws:ecs:us-east-1:123456789012:cluster/dev-platform"
    error_message = "the outputs of the layer's state"
  }
}

run "a_name_that_is_not_a_layer_is_refused" {
  command = plan

  variables {
    layer = "base"
  }

  expect_failures = [var.layer]
}
