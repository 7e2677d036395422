import { main } from "@convex-airbyte/shared";
import { sourceConnector } from "./connector.js";

main(sourceConnector);
