/** Refuses to run (and so to pass) without a Docker engine and the two images. */
import { execFileSync } from "node:child_process";
import { IMAGES } from "./docker.js";

export default function setup(): void {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`The Docker suite needs a running Docker engine, and \`docker info\` failed: ${(err as Error).message.split("\n")[0]}. Start one (../shared/tools/docker-local-base.sh on these machines) and run \`npm run test:docker\` again.`);
  }
  for (const image of Object.values(IMAGES)) {
    try {
      execFileSync("docker", ["image", "inspect", image], { stdio: "pipe" });
    } catch {
      throw new Error(`Image ${image} is missing; \`npm run test:docker\` builds it (or run \`npm run docker:build\`).`);
    }
  }
}
