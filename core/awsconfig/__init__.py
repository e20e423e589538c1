"""`~/.aws/config`: the comment-preserving reader and writer, and the regional-STS doctor."""
