output "outputs" {
  description = "The layer's outputs, as its outputs.tf declares them."
  value       = data.terraform_remote_state.this.outputs
}
