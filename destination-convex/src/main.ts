import { main } from "@convex-airbyte/shared";
import { destinationConnector } from "./connector.js";

main(destinationConnector);
