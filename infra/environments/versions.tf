# Shared by every layer (linked into each as versions.tf, like settings.tf): the pinned
# provider, the partial S3 backend and the provider with the layer's default tags.
terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Partial configuration: the tasks pass ../environments/<env>.s3.tfbackend and the key.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    # Layer: the root this file is linked into. Environment and ManagedBy: the plan role reads
    # only the secrets they mark (01-base/github.tf).
    tags = merge(var.tags, {
      Layer       = basename(abspath(path.root))
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
