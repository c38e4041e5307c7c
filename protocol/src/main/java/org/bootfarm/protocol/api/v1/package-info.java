/**
 * Version 1 of the farm's wire contract: the event-bus addresses and the JSON bodies that clients
 * (clustered, the TCP bridge, HTTP), the coordinator and the workers exchange. Both sides import
 * these types; nothing else defines a message. A change that breaks a field is a new version
 * package, never an edit here.
 */
package org.bootfarm.protocol.api.v1;
