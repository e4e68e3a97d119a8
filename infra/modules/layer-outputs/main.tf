# Another layer's outputs, from its state in the environment's state bucket (the key the
# tasks give each layer: <layer>/terraform.tfstate).
data "terraform_remote_state" "this" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "${var.layer}/terraform.tfstate"
    region = var.region
  }
}
