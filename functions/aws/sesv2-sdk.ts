/** The SES v2 client and the commands the functions send; loaded only through functions/aws/sdk.ts. */
export { SESv2Client } from '@aws-sdk/client-sesv2/dist-es/SESv2Client';
export { SendEmailCommand } from '@aws-sdk/client-sesv2/dist-es/commands/SendEmailCommand';
export { GetAccountCommand } from '@aws-sdk/client-sesv2/dist-es/commands/GetAccountCommand';
