# lmsform in a container: for CI jobs that run in an image (`container:`), GitLab CI, or a laptop
# without Python. Build from a checkout of lmsform:
#   docker build -t lmsform .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" -e SKILLJAR_API_KEY lmsform plan lms
# lmsform and every dependency are installed at the versions CI tests (.ci/constraints.txt); the
# base image is pinned by digest (update it, with the constraints, in a commit of its own).
FROM python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/lmsform/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY .ci/constraints.txt .ci/constraints.txt
COPY lmsform lmsform

# The constraints file has no hashes, so it constrains (`--constraint`) rather than verifies
# (`--require-hashes`). The build backend comes from it too: no unpinned build isolation.
RUN python -m venv /opt/lmsform \
    && pip install --constraint .ci/constraints.txt setuptools \
    && pip install --constraint .ci/constraints.txt --no-build-isolation . \
    && lmsform --version \
    && rm -rf /src

# Not root: lmsform needs no privilege, and files it writes in a mounted folder (plan.json,
# .lmsform/) belong to the user given with `docker run --user`.
RUN useradd --create-home --uid 10001 --user-group lmsform
USER 10001:10001
WORKDIR /work

ENTRYPOINT ["lmsform"]
CMD ["--help"]
